package kmod

import (
	"reflect"
	"testing"
	"testing/fstest"
)

// A trimmed copy of what depmod writes for Debian's 6.1 kernel.
var tree = fstest.MapFS{
	"modules.dep": {Data: []byte(`kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko
kernel/fs/jbd2/jbd2.ko:
kernel/fs/mbcache.ko:
kernel/lib/crc16.ko:
kernel/arch/x86/crypto/crc32c-intel.ko:
kernel/crypto/crc32c_generic.ko:
kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko
kernel/fs/fat/fat.ko:
kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_ring.ko:
`)},
	"modules.softdep": {Data: []byte("# Soft dependencies\nsoftdep ext4 pre: crypto-crc32c\nsoftdep fat pre: nosuchmod\n")},
	"modules.alias": {Data: []byte(`alias crypto-crc32c crc32c_intel
alias crypto-crc32c crc32c_generic
alias fs-vfat vfat
`)},
	"modules.builtin": {Data: []byte("kernel/drivers/virtio/virtio_ring.ko\n")},
}

func TestResolve(t *testing.T) {
	ix, err := ReadIndex(tree)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		wanted []string
		want   []string
	}{
		{[]string{"ext4"}, []string{"crc32c_generic", "crc16", "mbcache", "jbd2", "ext4"}},
		{[]string{"virtio-blk"}, []string{"virtio", "virtio_blk"}},
		{[]string{"fs-vfat", "vfat", "fat"}, []string{"fat", "vfat"}},
		{[]string{"virtio_ring"}, nil},
	} {
		got, err := ix.Resolve(tc.wanted)
		if err != nil {
			t.Errorf("Resolve(%v): %v", tc.wanted, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Resolve(%v) = %v, want %v", tc.wanted, got, tc.want)
		}
	}
	if _, err := ix.Resolve([]string{"nope"}); err == nil {
		t.Error("Resolve(nope) succeeded")
	}
}

func TestReadIndexErrors(t *testing.T) {
	if _, err := ReadIndex(fstest.MapFS{}); err == nil {
		t.Error("no modules.dep: no error")
	}
	if _, err := ReadIndex(fstest.MapFS{"modules.dep": {Data: []byte("garbage line\n")}}); err == nil || err.Error() != "kmod: modules.dep:1: no ':'" {
		t.Errorf("garbage: err = %v", err)
	}
}

func TestName(t *testing.T) {
	for in, want := range map[string]string{"kernel/a/crc32c-intel.ko": "crc32c_intel", "x.ko.xz": "x", "ext4": "ext4"} {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMatchAndFiles(t *testing.T) {
	ix, err := ReadIndex(fstest.MapFS{
		"modules.dep":   {Data: []byte("kernel/ahci.ko: kernel/libahci.ko\nkernel/libahci.ko:\nkernel/nvme.ko:\n")},
		"modules.alias": {Data: []byte("alias pci:v*d*sv*sd*bc01sc06i01* ahci\nalias pci:v*d*sv*sd*bc01sc08i02* nvme\nalias pci:v00008086d00002922sv*sd*bc*sc*i* ahci\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := ix.Match("pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01"); !reflect.DeepEqual(got, []string{"ahci"}) {
		t.Errorf("Match(ahci) = %v", got)
	}
	if got := ix.Match("pci:v00001B36d00000010sv00001AF4sd00001100bc01sc08i02"); !reflect.DeepEqual(got, []string{"nvme"}) {
		t.Errorf("Match(nvme) = %v", got)
	}
	if got := ix.Match("virtio:d00000002v00001AF4"); got != nil {
		t.Errorf("Match(virtio) = %v", got)
	}
	small := ix.Filter([]string{"ahci", "libahci"})
	back, err := ReadIndex(fstest.MapFS{
		"modules.dep":   {Data: small.Files()["modules.dep"]},
		"modules.alias": {Data: small.Files()["modules.alias"]},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := back.Resolve([]string{"ahci"}); !reflect.DeepEqual(got, []string{"libahci", "ahci"}) {
		t.Errorf("filtered index resolves ahci to %v", got)
	}
	if len(back.Alias) != 2 || back.Match("pci:v00001B36d00000010sv00001AF4sd00001100bc01sc08i02") != nil {
		t.Errorf("filtered aliases = %v", back.Alias)
	}
}
