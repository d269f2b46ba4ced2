// Package rom builds LinuxBoot-style flash images from OVMF firmware.
//
// OVMF's flash holds a SEC volume at the top and below it FVMAIN_COMPACT:
// one LZMA-compressed section holding PEIFV and DXEFV. DXEFV holds the DXE
// drivers and the UEFI Shell, which the boot manager starts when nothing
// else boots. Build replaces the Shell's PE32 with a payload (a unified
// kernel image: kernel, leapboot initramfs and command line), removes DXE
// drivers a LinuxBoot firmware does not need (network, TLS, iSCSI, TPM, the
// setup screens) to make room, lets FVMAIN_COMPACT grow, and writes the
// volumes at the top of a bigger flash image. The firmware is read and
// rebuilt with github.com/linuxboot/fiano.
//
// DXEFV cannot grow: OVMF's SEC copies exactly PcdOvmfDxeMemFvSize bytes of
// it (12 MiB in Debian's build) to a fixed place in memory, and the DXE
// phase sees no more. The payload and the drivers kept must fit in it.
//
// The package is apart from package images so that the leapboot binary,
// which is /init, does not carry fiano.
package rom

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/linuxboot/fiano/pkg/guid"
	"github.com/linuxboot/fiano/pkg/uefi"
	"github.com/linuxboot/fiano/pkg/visitors"
)

// ShellGUID is the file GUID of the UEFI Shell application in OVMF and in
// most EDK II firmware; the payload takes its place.
var ShellGUID = *guid.MustParse("7C04A583-9E3E-4F1C-AD65-E05268D0B4D1")

// LinuxBootRemovals are the DXE drivers Build removes by default, by
// file GUID: the network stack, TLS, HTTP and PXE boot, iSCSI, the Shell's
// extra commands, the setup screens, TPM measurement, and the disk, USB and
// graphics drivers. The kernel does all of that after the firmware hands
// over; the boot manager then starts the payload at once, with no disk boot
// options to try first.
var LinuxBootRemovals = map[string]string{
	"19618BCE-55AE-09C6-37E9-4CE04084C7A1": "httpDynamicCommand",
	"A487A478-51EF-48AA-8794-7BEE2A0562F1": "tftpDynamicCommand",
	"2F30DA26-F51B-4B6F-85C4-31873C281BCA": "LinuxInitrdDynamicShellCommand",
	"86CDDF93-4872-4597-8AF9-A35AE4D3725F": "IScsiDxe",
	"5BEDB5CC-D830-4EB2-8742-2D4CC9B54F2C": "Ip6Dxe",
	"9FB1A1F3-3B71-4324-B39A-745CBB015FFF": "Ip4Dxe",
	"B95E9FDA-26DE-48D2-8807-1F9107AC5E3A": "UefiPxeBcDxe",
	"ECEBCB00-D9C8-11E4-AF3D-8CDCD426C973": "HttpBootDxe",
	"1A7E4468-2F55-4A56-903C-01265EB7622B": "TcpDxe",
	"B219E140-DFFC-11E3-B956-0022681E6906": "DnsDxe",
	"2366C20F-E15A-11E3-8BF1-E4115B28BC50": "HttpDxe",
	"95E3669D-34BE-4775-A651-7EA41B69D89E": "Dhcp6Dxe",
	"94734718-0BBC-47FB-96A5-EE7A5AE6A2AD": "Dhcp4Dxe",
	"99F03B99-98D8-49DD-A8D3-3219D0FFE41E": "Mtftp6Dxe",
	"DC3641B8-2FA8-4ED3-BC1F-F9962A03454B": "Mtftp4Dxe",
	"025BBFC7-E6A9-4B8B-82AD-6815A1AEAF4A": "MnpDxe",
	"6D6963AB-906D-4A65-A7CA-BD40E5D6AF2B": "Udp4Dxe",
	"D912C7BC-F098-4367-92BA-E911083C7B0E": "Udp6Dxe",
	"E4F61863-FE2C-4B56-A8F4-08519BC439DF": "VlanConfigDxe",
	"A2F436EA-A127-4EF8-957C-8048606FF670": "SnpDxe",
	"529D3F93-E8E9-4E73-B1E1-BDF6A9D50113": "ArpDxe",
	"A92CDB4B-82F1-4E0B-A516-8A655D371524": "VirtioNetDxe",
	"22EA234F-E72A-11E4-91F9-28D2447C4829": "HttpUtilitiesDxe",
	"3ACEB0C0-3C72-11E4-9A56-74D435052646": "TlsDxe",
	"7CA1024F-EB17-11E5-9DBA-28D2447C4829": "TlsAuthConfigDxe",
	"F0E6A44F-7195-41C3-AC64-54F202CD0A21": "SecureBootConfigDxe",
	"462CAA21-7614-4503-836E-8AB6F4662331": "UiApp",
	"28A03FF4-12B3-4305-A417-BB1A4F94081E": "RamDiskDxe",
	"FDFF263D-5F68-4591-87BA-B768F445A9AF": "Tcg2Dxe",
	"4D9CBEF0-15A0-4D0C-83DB-5213E710C23F": "Tcg2ConfigDxe",
	"A5683620-7998-4BB2-A377-1C1E31E1E215": "TcgDxe",
	"5CAB08D5-AD8F-4D8B-B828-D17A8D9FE977": "Tcg2PlatformDxe",
	"13AC6DD0-73D0-11D4-B06B-00AA00BD6DE7": "EbcDxe",
	"905F13B0-8F91-4B0A-BD76-E1E78F9422E4": "UdfDxe",
	"F74D20EE-37E7-48FC-97F7-9B1047749C69": "LogoDxe",
	// Disks, USB, graphics and the setup browser: the kernel drives them.
	"0A66E322-3740-4CCE-AD62-BD172CECCA35": "ScsiDisk",
	"5E523CB4-D397-4986-87BD-A6DD8B22F455": "AtaAtapiPassThruDxe",
	"5BE3BDF4-53CF-46A3-A6A9-73C34A6E5EE3": "NvmExpressDxe",
	"961578FE-B6B7-44C3-AF35-6BC705CD2B1F": "Fat",
	"7BD9DDF7-8B83-488E-AEC9-24C78610289C": "VirtioFsDxe",
	"19DF145A-B1D4-453F-8507-38816676D7F6": "AtaBusDxe",
	"1FA1F39E-FEFF-4AAE-BD7B-38A070A3B609": "PartitionDxe",
	"0167CCC4-D0F7-4F21-A3EF-9E64B7CDCE8B": "ScsiBus",
	"FAB5D4F4-83C0-4AAF-8480-442D11DF6CEA": "VirtioScsiDxe",
	"6B38F7B4-AD98-40E9-9093-ACA2B5A253C4": "DiskIoDxe",
	"11D92DFB-3CA9-4F93-BA2E-4780ED3E03B5": "VirtioBlkDxe",
	"021722D8-522B-4079-852A-FE44C2C13F49": "SataController",
	"9FB4B4A7-42C0-4BCD-8540-9BCC6711F83E": "UsbMassStorageDxe",
	"B7F50E91-A759-412C-ADE4-DCD03E7F7C28": "XhciDxe",
	"BDFE430E-8F2A-4DB0-9991-6F856594777E": "EhciDxe",
	"240612B7-A063-11D4-9A3A-0090273FC14D": "UsbBusDxe",
	"2FB92EFA-2EE0-4BAE-9EB6-7464125E1EF7": "UhciDxe",
	"2D2E62CF-9ECF-43B7-8219-94E7FC713DFE": "UsbKbDxe",
	"C4D1F932-821F-4744-BF06-6D30F7730F8D": "Ps2KeyboardDxe",
	"D6099B94-CD97-4CC5-8714-7F6312701A8A": "VirtioGpuDxe",
	"DCE1B094-7DC6-45D0-9FDD-D7FC3CC3E4EF": "QemuRamfbDxe",
	"58E26F0D-CBAC-4BBA-B70F-18221415665A": "VirtioRngDxe",
	"FA20568B-548B-4B2B-81EF-1BA08D4A3CEC": "BootScriptExecutorDxe",
	"806040CA-DAD9-4978-A3B4-2D2AB0C8A48F": "QemuKernelLoaderFsDxe",
	"EBF8ED7C-0DD1-4787-84F1-F48D537DCACF": "DriverHealthManagerDxe",
	"EBF342FE-B1D3-4EF8-957C-8048606FF671": "SetupBrowser",
	"E660EA85-058E-4B55-A54B-F02F83A24707": "DisplayEngine",
	// SecurityStubDxe (F80697E9-...) stays: without it OVMF stops with an
	// invalid-opcode exception before the boot manager runs.
}

// DefaultSize is the size of the flash image Build writes: 16 MiB, a
// common SPI flash size, and what QEMU's -bios takes (its pflash is limited
// to 8 MiB for code and variables together).
const DefaultSize = 16 << 20

type options struct {
	size    int64
	removal map[string]string
}

// Option configures Build.
type Option func(*options)

// WithSize sets the size of the flash image (a multiple of 64 KiB).
func WithSize(n int64) Option { return func(o *options) { o.size = n } }

// WithRemovals replaces LinuxBootRemovals: the DXE drivers to remove,
// file GUID to name.
func WithRemovals(m map[string]string) Option { return func(o *options) { o.removal = m } }

// Report says where the room in the flash image went.
type Report struct {
	DXEFV        int64    // bytes of the DXE volume (fixed)
	DXEFVFree    int64    // bytes left in it
	Payload      int64    // bytes of the payload PE
	Removed      []string // names of the drivers removed
	RemovedBytes int64
	MainFV       int64 // bytes of FVMAIN_COMPACT after compression
	Size         int64 // bytes of the flash image
}

// fianoMu serialises Build: fiano keeps the erase polarity and its
// compressor choice in package variables.
var fianoMu sync.Mutex

// useInternalLZMA makes fiano compress with its Go LZMA encoder instead of
// running the system's xz, whose output depends on its version. fiano
// v1.2.0 only offers this through its -xzPath flag on the default flag set.
func useInternalLZMA() error {
	f := flag.Lookup("xzPath")
	if f == nil {
		return errors.New("fiano's xzPath flag is missing: cannot choose its internal LZMA encoder")
	}
	return f.Value.Set("")
}

// Build writes to w a flash image made of the OVMF firmware image
// firmware (Debian's OVMF_CODE_4M.fd, or any OVMF image holding
// FVMAIN_COMPACT and the SEC volume) with payload, an EFI application
// (images.BuildUKI's output), in place of the UEFI Shell. Two builds of the same
// inputs are byte-identical. When the payload does not fit in the DXE
// volume, the error says by how many bytes.
func Build(w io.Writer, firmware, payload []byte, opts ...Option) (Report, error) {
	o := options{size: DefaultSize, removal: LinuxBootRemovals}
	for _, opt := range opts {
		opt(&o)
	}
	var rep Report
	if o.size <= 0 || o.size%(64<<10) != 0 {
		return rep, fmt.Errorf("rom: size %d is not a positive multiple of 64 KiB", o.size)
	}
	if len(payload) < 2 || string(payload[:2]) != "MZ" {
		return rep, errors.New("rom: the payload is not a PE image")
	}
	rep.Payload = int64(len(payload))
	fianoMu.Lock()
	defer fianoMu.Unlock()
	if err := useInternalLZMA(); err != nil {
		return rep, fmt.Errorf("rom: %w", err)
	}
	// The erase polarity is set once per image: forget the last one.
	uefi.Attributes.ErasePolarity = 0xF0

	fw, err := uefi.Parse(firmware)
	if err != nil {
		return rep, fmt.Errorf("rom: parsing the firmware: %w", err)
	}
	bios, ok := fw.(*uefi.BIOSRegion)
	if !ok {
		return rep, fmt.Errorf("rom: want a plain firmware image (OVMF), got %T", fw)
	}
	dxe, err := visitors.FindDXEFV(fw)
	if err != nil {
		return rep, fmt.Errorf("rom: %w", err)
	}
	// OVMF copies a fixed number of bytes of DXEFV: it must keep its size.
	dxe.Resizable = false
	rep.DXEFV = int64(dxe.Length)
	var main *uefi.FirmwareVolume
	for _, e := range bios.Elements {
		if fv, ok := e.Value.(*uefi.FirmwareVolume); ok {
			if _, err := visitors.FindDXEFV(fv); err == nil {
				main = fv
			}
		}
	}
	if main == nil {
		return rep, errors.New("rom: no top-level volume holds the DXE volume")
	}
	// FVMAIN_COMPACT may grow downwards in the bigger flash: SEC looks for
	// it below itself.
	main.Resizable = true

	remove := map[guid.GUID]string{}
	for g, name := range o.removal {
		id, err := guid.Parse(g)
		if err != nil {
			return rep, fmt.Errorf("rom: removal %s: %w", name, err)
		}
		remove[*id] = name
	}
	rm := &visitors.Remove{Predicate: func(f uefi.Firmware) bool {
		file, ok := f.(*uefi.File)
		if !ok {
			return false
		}
		_, ok = remove[file.Header.GUID]
		return ok
	}}
	if err := rm.Run(dxe); err != nil {
		return rep, fmt.Errorf("rom: removing drivers: %w", err)
	}
	for _, m := range rm.Matches {
		file := m.(*uefi.File)
		rep.Removed = append(rep.Removed, remove[file.Header.GUID])
		rep.RemovedBytes += int64(file.Header.ExtendedSize)
	}
	sort.Strings(rep.Removed)

	replace := &visitors.ReplacePE32{Predicate: visitors.FindFileGUIDPredicate(ShellGUID), NewPE32: payload}
	if err := replace.Run(dxe); err != nil {
		return rep, fmt.Errorf("rom: replacing the UEFI Shell (%s) with the payload: %w", ShellGUID, err)
	}
	if err := (&visitors.Assemble{}).Run(main); err != nil {
		return rep, fmt.Errorf("rom: the DXE volume (%d bytes, fixed by OVMF's PcdOvmfDxeMemFvSize) has no room for the %d-byte payload after removing %d bytes of drivers: %w",
			dxe.Length, len(payload), rep.RemovedBytes, err)
	}
	rep.DXEFVFree = int64(dxe.FreeSpace)
	rep.MainFV = int64(main.Length)

	// The volumes, in their order, at the top of the flash; erased below.
	var total int64
	for _, e := range bios.Elements {
		total += int64(len(e.Value.Buf()))
	}
	if total > o.size {
		return rep, fmt.Errorf("rom: the firmware volumes need %d bytes, more than the %d-byte flash", total, o.size)
	}
	out := make([]byte, o.size)
	uefi.Erase(out, main.GetErasePolarity())
	off := o.size - total
	if off%4096 != 0 {
		return rep, fmt.Errorf("rom: the volumes (%d bytes) are not 4 KiB aligned at the top of the flash", total)
	}
	for _, e := range bios.Elements {
		off += int64(copy(out[off:], e.Value.Buf()))
	}
	rep.Size = o.size
	if _, err := w.Write(out); err != nil {
		return rep, fmt.Errorf("rom: %w", err)
	}
	return rep, nil
}
