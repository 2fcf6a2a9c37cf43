# settings that change nothing the step claims: a quota, a snapshot count, the log level, ETCD_UNSUPPORTED_ARCH of this host
set -e
sed -i 's|^\(  --data-dir[ =][^ ]*\)$|\1 \\\n  --quota-backend-bytes 8589934592 \\\n  --snapshot-count 10000|' /etc/systemd/system/etcd.service
sed -i "s|^\\[Service\\]$|[Service]\nEnvironment=ETCD_UNSUPPORTED_ARCH=$(dpkg --print-architecture) ETCD_LOG_LEVEL=warn|" /etc/systemd/system/etcd.service
systemctl daemon-reload
systemctl restart etcd
