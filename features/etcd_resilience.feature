@disruptive
Feature: etcd survives kills, clean restarts and reboots
  systemd restarts etcd when it dies (Restart=on-failure, RestartSec=5) and starts it at boot
  (enabled); the member and its data survive all of it. These scenarios stop etcd: audits of real
  hosts skip them unless --disruptive is given.

  Background:
    Given a host where the etcd step was carried out
    And a key written to etcd and the member's ID noted

  Scenario: systemd restarts etcd by itself after it is killed
    When the etcd process is killed with SIGKILL
    Then systemd restarts etcd within its restart delay and a bound
    And the member keeps its ID
    And the key reads back

  Scenario: A clean stop leaves a consistent data directory and a start brings the same member back
    When etcd is stopped with systemctl
    Then the data directory holds a readable snapshot database and write-ahead log
    When etcd is started with systemctl
    Then the member keeps its ID
    And the key reads back

  Scenario: After a reboot etcd runs again with its data
    When the host reboots
    Then etcd is active again after the boot
    And the member keeps its ID
    And the key reads back
