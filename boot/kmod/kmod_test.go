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
