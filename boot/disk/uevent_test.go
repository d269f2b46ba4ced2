package disk

import "testing"

func TestParseUevent(t *testing.T) {
	for _, tc := range []struct {
		msg string
		ev  Uevent
		ok  bool
	}{
		{"add@/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host2/target2:0:0/2:0:0:0/block/sdb/sdb1\x00ACTION=add\x00DEVPATH=/devices/x\x00SUBSYSTEM=block\x00DEVNAME=sdb1\x00DEVTYPE=partition\x00", Uevent{Block: "sdb1"}, true},
		{"remove@/devices/x/block/sdb\x00ACTION=remove\x00SUBSYSTEM=block\x00DEVNAME=sdb\x00", Uevent{}, false},
		{"add@/devices/x/usb1/1-1/1-1:1.0\x00ACTION=add\x00SUBSYSTEM=usb\x00MODALIAS=usb:v46F4p0001d0000dc00dsc00dp00ic08isc06ip50in00\x00", Uevent{Modalias: "usb:v46F4p0001d0000dc00dsc00dp00ic08isc06ip50in00"}, true},
		{"add@/devices/x/usb1\x00ACTION=add\x00SUBSYSTEM=usb\x00DEVNAME=bus/usb/001/002\x00", Uevent{}, false},
		{"libudev\x00\xfe\xed\xca\xfe", Uevent{}, false},
		{"", Uevent{}, false},
	} {
		ev, ok := ParseUevent([]byte(tc.msg))
		if ev != tc.ev || ok != tc.ok {
			t.Errorf("ParseUevent(%q) = %+v, %v", tc.msg, ev, ok)
		}
	}
}
