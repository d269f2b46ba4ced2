package probe

import (
	"errors"
	"strconv"
)

// Identity is what blkid -p reports about a device: the filesystem (or
// LUKS or LVM) identity and, for a partitioned whole disk, the partition
// table type and id. Empty fields are fields blkid would not print.
type Identity struct {
	Type    string // TYPE: "ext4", "vfat", "crypto_LUKS", …; "" for a bare partition table
	SecType string // SEC_TYPE: "ext2" for ext3, "msdos" for FAT12/16
	Usage   string // USAGE: "filesystem", "crypto", "raid", "other"
	Version string // VERSION: "1.0", "FAT32", "Joliet Extension", "LVM2 001", …
	UUID    string // UUID, in the form blkid prints for Type
	UUIDSub string // UUID_SUB: the btrfs device UUID
	Label   string // LABEL

	// LabelFATBoot is the FAT boot-sector label when it is set
	// (LABEL_FATBOOT); Label is then the root-directory label.
	LabelFATBoot string
	// BlockSize is BLOCK_SIZE, 0 when blkid prints none.
	BlockSize int

	// ISO 9660 identifiers (SYSTEM_ID, VOLUME_SET_ID, PUBLISHER_ID,
	// DATA_PREPARER_ID, APPLICATION_ID, BOOT_SYSTEM_ID).
	SystemID       string
	VolumeSetID    string
	PublisherID    string
	DataPreparerID string
	ApplicationID  string
	BootSystemID   string

	// Subsystem is the LUKS2 SUBSYSTEM field.
	Subsystem string

	// PTType ("gpt", "dos") and PTUUID describe a partition table found on
	// the device; PTUUID is the GPT disk GUID or the MBR disk signature.
	PTType string
	PTUUID string
}

// ErrUnknown is returned by Probe when nothing on the device is recognized.
var ErrUnknown = errors.New("probe: unknown content")

// ErrAmbivalent is returned (wrapped) by Probe when more than one
// filesystem signature is found, as blkid -p reports "ambivalent result".
var ErrAmbivalent = errors.New("probe: more than one filesystem signature")

// Fields returns the identity as blkid's KEY=value pairs (the keys blkid
// -p -o export prints, without DEVNAME), omitting empty values.
func (id Identity) Fields() map[string]string {
	m := map[string]string{}
	put := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	put("TYPE", id.Type)
	put("SEC_TYPE", id.SecType)
	put("USAGE", id.Usage)
	put("VERSION", id.Version)
	put("UUID", id.UUID)
	put("UUID_SUB", id.UUIDSub)
	put("LABEL", id.Label)
	put("LABEL_FATBOOT", id.LabelFATBoot)
	if id.BlockSize > 0 {
		put("BLOCK_SIZE", strconv.Itoa(id.BlockSize))
	}
	put("SYSTEM_ID", id.SystemID)
	put("VOLUME_SET_ID", id.VolumeSetID)
	put("PUBLISHER_ID", id.PublisherID)
	put("DATA_PREPARER_ID", id.DataPreparerID)
	put("APPLICATION_ID", id.ApplicationID)
	put("BOOT_SYSTEM_ID", id.BootSystemID)
	put("SUBSYSTEM", id.Subsystem)
	put("PTTYPE", id.PTType)
	put("PTUUID", id.PTUUID)
	return m
}
