@certificates
Feature: The certificates are in the configuration directory
  The tutorial copies ca.crt, kube-api-server.key and kube-api-server.crt into the configuration directory.

  Background:
    Given a host where the etcd step was carried out

  Scenario Outline: The <file> is in place
    Then the <file> file is in place

    Examples:
      | file               |
      | CA certificate     |
      | server key         |
      | server certificate |

  Scenario Outline: The <file> parses
    Then the <file> file parses

    Examples:
      | file               |
      | CA certificate     |
      | server key         |
      | server certificate |

  Scenario Outline: The <file> is within its validity period
    Then the <file> is within its validity period

    Examples:
      | file               |
      | CA certificate     |
      | server certificate |

  Scenario: The server key belongs to the server certificate
    Then the server key matches the server certificate

  Scenario: The server certificate is signed by the CA
    Then the server certificate chains to the CA certificate

  Scenario: The server certificate names the addresses the member serves on
    Then the server certificate names every address of the member
