@bootstrap
Feature: Carrying out the step is idempotent
  Running the bootstrap again on a bootstrapped host changes nothing and does not restart etcd.

  Background:
    Given a host where the etcd step was carried out

  Scenario: A second bootstrap changes nothing
    When the etcd step is carried out again
    Then every action reports ok
    And etcd was not restarted
