package disk

import "testing"

func TestParseUevent(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		name string
		ok   bool
	}{
		{"add@/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host2/target2:0:0/2:0:0:0/block/sdb/sdb1\x00ACTION=add\x00DEVPATH=/devices/x\x00SUBSYSTEM=block\x00DEVNAME=sdb1\x00DEVTYPE=partition\x00", "sdb1", true},
		{"remove@/devices/x/block/sdb\x00ACTION=remove\x00SUBSYSTEM=block\x00DEVNAME=sdb\x00", "", false},
		{"add@/devices/x/usb1\x00ACTION=add\x00SUBSYSTEM=usb\x00DEVNAME=bus/usb/001/002\x00", "", false},
		{"libudev\x00\xfe\xed\xca\xfe", "", false},
		{"", "", false},
	} {
		name, ok := ParseUevent([]byte(tc.msg))
		if name != tc.name || ok != tc.ok {
			t.Errorf("ParseUevent(%q) = %q, %v", tc.msg, name, ok)
		}
	}
}
