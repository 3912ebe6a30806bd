# Guest setup of the KVM SELinux lane (tests/lanes/kvm-selinux.sh), sourced
# by the guest's /init before bats (busybox sh; info and die are /init's):
# mount selinuxfs, load the test policy (scripts/kvm/selinux-policy.cil,
# compiled on the host into /lane/files/selinux-policy.bin) and enforce it.
# Any failure stops the lane with a LANE-INIT-ERROR line saying why.
mkdir -p /sys/fs/selinux
mount -t selinuxfs -o nosuid,noexec selinuxfs /sys/fs/selinux ||
	die "mount selinuxfs failed (active LSMs: $(cat /sys/kernel/security/lsm 2>/dev/null))"
cat /lane/files/selinux-policy.bin >/sys/fs/selinux/load ||
	die "the kernel refused the test policy: $(dmesg | grep -i selinux | tail -n 3 | tr '\n' ' ')"
echo 1 >/sys/fs/selinux/enforce || die "cannot switch SELinux to enforcing"
info "selinux: policy $(cat /sys/fs/selinux/policyvers) loaded, enforce $(cat /sys/fs/selinux/enforce), /init runs as $(cat /proc/self/attr/current)"
