@membership
Feature: The member server is started
  "etcdctl member list" shows one member (the lab profile; three in production), named after the host,
  started, with the tutorial's URLs and the ID etcd derives from them; "etcdctl endpoint status" shows
  it leading (in production: one of the members leads).

  Background:
    Given a host where the etcd step was carried out

  Scenario Outline: etcdctl member list (<format>) shows exactly the configured members
    When the members are listed in <format> format
    Then it lists exactly the configured members

    Examples:
      | format |
      | simple |
      | table  |
      | json   |

  Scenario Outline: etcdctl member list (<format>) shows the member named as configured and started
    When the members are listed in <format> format
    Then the member is named as configured and started

    Examples:
      | format |
      | simple |
      | table  |
      | json   |

  Scenario Outline: etcdctl member list (<format>) shows the configured peer and client URLs
    When the members are listed in <format> format
    Then the member advertises the configured peer and client URLs

    Examples:
      | format |
      | simple |
      | table  |
      | json   |

  Scenario Outline: etcdctl member list (<format>) shows a voting member, not a learner
    When the members are listed in <format> format
    Then the member is not a learner

    Examples:
      | format |
      | simple |
      | table  |
      | json   |

  Scenario Outline: etcdctl member list (<format>) shows the ID derived from the configuration
    When the members are listed in <format> format
    Then the member has the ID etcd derives from its configuration

    Examples:
      | format |
      | simple |
      | table  |
      | json   |

  Scenario: The member is named after the host's hostname
    Then the host's hostname is the member's name

  Scenario: etcdctl endpoint status shows the member leading
    Then the endpoint status shows the member as leader

  Scenario: etcdctl endpoint status shows no errors
    Then the endpoint status shows no errors

  Scenario: The running etcd is the installed version
    Then the endpoint status shows the installed etcd version

  Scenario: etcdctl endpoint health reports the member healthy
    Then the endpoint is healthy

  @writes
  Scenario: A key can be written, read back and deleted
    Then a key written to etcd can be read back and deleted
