# --initial-cluster-state left out of the unit: etcd's default, new, is the step's value
set -e
sed -i '/^  --initial-cluster-state /d' /etc/systemd/system/etcd.service
systemctl daemon-reload
systemctl restart etcd
