# On the server, as root, after "scp downloads/controller/etcd downloads/client/etcdctl units/etcd.service
# root@server:~/" and the certificates of step 4 in root's home: the write-up's and the current text's commands
mv etcd etcdctl /usr/local/bin/
mkdir -p /etc/etcd /var/lib/etcd
chmod 700 /var/lib/etcd
cp ca.crt kube-api-server.key kube-api-server.crt /etc/etcd/
mv etcd.service /etc/systemd/system/
systemctl daemon-reload
systemctl enable etcd
systemctl start etcd
