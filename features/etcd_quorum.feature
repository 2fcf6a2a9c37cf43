@production @disruptive
Feature: The production cluster keeps quorum with one member down and loses it with two
  Three members tolerate one failure. With two down the survivor refuses writes rather than risk
  the data; when the members come back the cluster is whole and nothing written is lost.

  Background:
    Given a host where the etcd step was carried out

  Scenario: With one member stopped the cluster keeps quorum
    When one other member is stopped
    Then a write through this member succeeds
    And this member sees a leader
    When the stopped members are started again
    Then every member is healthy again and the writes read back

  Scenario: With two members stopped writes fail and nothing is lost
    When two other members are stopped
    Then a write through this member fails with a clear error
    When the stopped members are started again
    Then every member is healthy again and the writes read back
