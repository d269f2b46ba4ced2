package disk

import "testing"

func TestMountRoot(t *testing.T) {
	const info = `22 1 0:21 / / rw,relatime - tmpfs none rw
31 22 0:27 / /run/leapboot/vda2 ro,nosuid - btrfs /dev/vda2 ro,subvolid=5,subvol=/
32 22 0:27 /@/.snapshots/1/snapshot /run/leapboot/.default\040x ro,nosuid - btrfs /dev/vda2 ro,subvolid=266
33 22 0:27 /@ /run/leapboot/vda3 ro - btrfs /dev/vda3 ro
34 22 0:27 /@new /run/leapboot/vda3 ro - btrfs /dev/vda3 ro
`
	for _, tc := range []struct {
		dir, want string
		ok        bool
	}{
		{"/run/leapboot/.default x", "/@/.snapshots/1/snapshot", true},
		{"/run/leapboot/vda2", "/", true},
		{"/run/leapboot/vda3", "/@new", true}, // the last mount on a directory is the one seen
		{"/run/leapboot/none", "", false},
	} {
		got, ok := mountRoot(info, tc.dir)
		if got != tc.want || ok != tc.ok {
			t.Errorf("mountRoot(%q) = %q, %v; want %q, %v", tc.dir, got, ok, tc.want, tc.ok)
		}
	}
	if got := unescapeMount(`a\040b\134c\09`); got != `a b\c\09` {
		t.Errorf("unescapeMount = %q", got)
	}
}
