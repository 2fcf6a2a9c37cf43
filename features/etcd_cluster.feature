@production
Feature: A production cluster: three members over TLS with certificate authentication
  The tutorial runs one member over plain HTTP and says production needs at least three members and
  TLS. In the production profile every member checks the whole cluster from where it stands.

  Background:
    Given a host where the etcd step was carried out

  Scenario: Every member of the cluster is started and votes
    Then etcdctl lists every configured member as started and none as a learner

  Scenario: The cluster has exactly one leader and one cluster ID
    Then every member reports the same leader and the same cluster ID

  Scenario: Every member of the cluster is healthy
    Then etcdctl endpoint health of the whole cluster reports every member healthy

  Scenario: Plain HTTP is refused
    Then a client speaking plain HTTP to the client URL gets no answer from etcd

  Scenario: A client without a certificate is refused
    Then a TLS client without a client certificate is refused
