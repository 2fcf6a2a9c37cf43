# etcd configured by ETCD_* variables of an EnvironmentFile (as Debian's own package does); ExecStart= the bare binary
# ({name} is the member's name, filled in by tests/recordings.py)
set -e
cat > /etc/etcd/etcd.env <<'END'
# the tutorial's member, as etcd's variables
ETCD_NAME={name}
ETCD_INITIAL_ADVERTISE_PEER_URLS="http://127.0.0.1:2380"
ETCD_LISTEN_PEER_URLS=http://127.0.0.1:2380
ETCD_LISTEN_CLIENT_URLS='http://127.0.0.1:2379'
ETCD_ADVERTISE_CLIENT_URLS=http://127.0.0.1:2379
ETCD_INITIAL_CLUSTER_TOKEN=etcd-cluster-0
ETCD_INITIAL_CLUSTER={name}=http://127.0.0.1:2380
ETCD_INITIAL_CLUSTER_STATE=new
  ETCD_DATA_DIR = /var/lib/etcd
END
sed -i -e '/^ExecStart=/,/^  --data-dir/d' -e 's|^\[Service\]$|[Service]\nEnvironmentFile=/etc/etcd/etcd.env\nExecStart=/usr/local/bin/etcd|' /etc/systemd/system/etcd.service
systemctl daemon-reload
systemctl restart etcd
