@service
Feature: The etcd server is started
  The tutorial reloads systemd, enables etcd and starts it: "systemctl status etcd" shows it running.

  Background:
    Given a host where the etcd step was carried out

  Scenario: etcd is enabled to start at boot
    Then the etcd service is enabled

  Scenario: etcd is active (running)
    Then the etcd service is active and running

  Scenario: The running etcd was started from the unit as it is now
    Then the running etcd has the arguments the unit gives it

  Scenario: The service's etcd is the only etcd on the host
    Then no other etcd runs on the host

  Scenario Outline: The service has the tutorial's <setting>
    Then the etcd service has <setting>=<value>

    Examples:
      | setting    | value             |
      | Type       | notify            |
      | Restart    | on-failure        |
      | RestartSec | 5                 |
      | WantedBy   | multi-user.target |
