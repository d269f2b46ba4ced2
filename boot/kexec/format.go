package kexec

// Format is what kind of kernel file a header shows.
type Format string

// The kernel formats leapboot knows. kexec_file_load takes a bzImage (x86)
// or an uncompressed Image (arm64, riscv); the others are unpacked first.
const (
	FormatBzImage Format = "bzImage"
	FormatImage   Format = "Image"   // arm64 or riscv, uncompressed
	FormatGzip    Format = "gzip"    // Image.gz
	FormatZboot   Format = "zboot"   // EFI zboot: a PE stub around a compressed Image
	FormatUnknown Format = "unknown" // left to the kernel to judge
)

// Detect reads a kernel file's header.
func Detect(hdr []byte) Format {
	switch {
	case len(hdr) >= 0x206 && string(hdr[0x202:0x206]) == "HdrS":
		return FormatBzImage
	case len(hdr) >= 0x18 && string(hdr[:2]) == "MZ" && string(hdr[4:8]) == "zimg":
		return FormatZboot
	case len(hdr) >= 0x3c && (string(hdr[0x38:0x3c]) == "ARM\x64" || string(hdr[0x38:0x3c]) == "RSC\x05"):
		return FormatImage
	case len(hdr) >= 2 && hdr[0] == 0x1f && hdr[1] == 0x8b:
		return FormatGzip
	}
	return FormatUnknown
}
