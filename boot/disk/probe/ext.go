package probe

import "fmt"

// ext2/3/4: the superblock is 1 KiB at offset 1 KiB. Which of the three a
// filesystem is follows from its feature flags, as blkid decides it:
// ext4 if it has any feature ext3 does not know, ext3 if it has a
// journal, ext2 otherwise. ext4dev is ext4 marked as a test filesystem;
// jbd is an external journal.

const (
	extSuperOff  = 1024
	extSuperSize = 1024
	extMagic     = 0xEF53

	extCompatHasJournal    = 0x0004
	extIncompatFiletype    = 0x0002
	extIncompatRecover     = 0x0004
	extIncompatJournalDev  = 0x0008
	extIncompatMetaBG      = 0x0010
	extROCompatSparseSuper = 0x0001
	extROCompatLargeFile   = 0x0002
	extROCompatBtreeDir    = 0x0004
	extFlagsTestFilesys    = 0x0004

	ext2IncompatSupp = extIncompatFiletype | extIncompatMetaBG
	ext3IncompatSupp = extIncompatFiletype | extIncompatRecover | extIncompatMetaBG
	ext2ROCompatSupp = extROCompatSparseSuper | extROCompatLargeFile | extROCompatBtreeDir
	ext3ROCompatSupp = ext2ROCompatSupp
)

type extSuper struct {
	b                              []byte
	compat, incompat, roCompat, fl uint32
}

// readExt returns the ext superblock, or nil if there is none.
func readExt(d *dev) (*extSuper, error) {
	b, err := d.read(extSuperOff, extSuperSize)
	if b == nil || err != nil {
		return nil, err
	}
	if le.Uint16(b[0x38:]) != extMagic {
		return nil, nil
	}
	s := &extSuper{
		b:        b,
		compat:   le.Uint32(b[0x5C:]),
		incompat: le.Uint32(b[0x60:]),
		roCompat: le.Uint32(b[0x64:]),
		fl:       le.Uint32(b[0x160:]),
	}
	// blkid does not check the metadata_csum superblock checksum, so
	// neither do we: a damaged checksum still identifies the filesystem.
	return s, nil
}

func (s *extSuper) identity() *Identity {
	id := &Identity{
		Label:   label(s.b[0x78 : 0x78+16]),
		Version: fmt.Sprintf("%d.%d", le.Uint32(s.b[0x4C:]), le.Uint16(s.b[0x3E:])),
	}
	if u := s.b[0x68 : 0x68+16]; !isZero(u) {
		id.UUID = uuidString(u)
	}
	if lg := le.Uint32(s.b[0x18:]); lg < 22 {
		id.BlockSize = 1024 << lg
	}
	return id
}

func probeJBD(d *dev) (*Identity, error) {
	s, err := readExt(d)
	if s == nil || s.incompat&extIncompatJournalDev == 0 {
		return nil, err
	}
	return s.identity(), nil
}

func probeExt4dev(d *dev) (*Identity, error) {
	s, err := readExt(d)
	if s == nil || s.incompat&extIncompatJournalDev != 0 || s.fl&extFlagsTestFilesys == 0 {
		return nil, err
	}
	return s.identity(), nil
}

func probeExt4(d *dev) (*Identity, error) {
	s, err := readExt(d)
	if s == nil || s.incompat&extIncompatJournalDev != 0 {
		return nil, err
	}
	if s.roCompat&^ext3ROCompatSupp == 0 && s.incompat&^ext3IncompatSupp == 0 {
		return nil, nil // nothing ext3 does not know: ext3 or ext2
	}
	if s.fl&extFlagsTestFilesys != 0 {
		return nil, nil // ext4dev
	}
	return s.identity(), nil
}

func probeExt3(d *dev) (*Identity, error) {
	s, err := readExt(d)
	if s == nil || s.compat&extCompatHasJournal == 0 {
		return nil, err
	}
	if s.roCompat&^ext3ROCompatSupp != 0 || s.incompat&^ext3IncompatSupp != 0 {
		return nil, nil
	}
	id := s.identity()
	id.SecType = "ext2"
	return id, nil
}

func probeExt2(d *dev) (*Identity, error) {
	s, err := readExt(d)
	if s == nil || s.compat&extCompatHasJournal != 0 {
		return nil, err
	}
	if s.roCompat&^ext2ROCompatSupp != 0 || s.incompat&^ext2IncompatSupp != 0 {
		return nil, nil
	}
	return s.identity(), nil
}
