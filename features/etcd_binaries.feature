@binaries
Feature: etcd and etcdctl are installed
  The tutorial copies etcd and etcdctl to the server and moves them into the binary directory.

  Background:
    Given a host where the etcd step was carried out

  Scenario Outline: <binary> is installed as an executable owned by root
    Then the <binary> binary is installed

    Examples:
      | binary  |
      | etcd    |
      | etcdctl |

  Scenario Outline: <binary> reports its version
    Then the <binary> binary reports the expected version

    Examples:
      | binary  |
      | etcd    |
      | etcdctl |
