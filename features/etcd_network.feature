@network
Feature: etcd listens on its client and peer URLs
  "ss -tnlp | grep etcd" shows etcd listening on 2379 (clients) and 2380 (peers) on 127.0.0.1.

  Background:
    Given a host where the etcd step was carried out

  Scenario Outline: etcd listens for <role>s on its <role> URL
    Then the etcd process listens on its <role> URL

    Examples:
      | role   |
      | client |
      | peer   |

  Scenario: etcd listens nowhere else
    Then the etcd process listens on no other address
