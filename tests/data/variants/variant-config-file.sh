# etcd configured by a --config-file YAML; ExecStart= names only the file
# ({name} is the member's name, filled in by tests/recordings.py)
set -e
cat > /etc/etcd/etcd.conf.yml <<'END'
name: {name}
initial-advertise-peer-urls: http://127.0.0.1:2380
listen-peer-urls: http://127.0.0.1:2380
listen-client-urls: http://127.0.0.1:2379
advertise-client-urls: http://127.0.0.1:2379
initial-cluster-token: etcd-cluster-0
initial-cluster: {name}=http://127.0.0.1:2380
initial-cluster-state: new
data-dir: /var/lib/etcd
END
sed -i -e '/^ExecStart=/,/^  --data-dir/d' -e 's|^\[Service\]$|[Service]\nExecStart=/usr/local/bin/etcd --config-file /etc/etcd/etcd.conf.yml|' /etc/systemd/system/etcd.service
systemctl daemon-reload
systemctl restart etcd
