package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/boot/disk"
	"github.com/leapboot/leapboot/boot/sources"
)

func runList(args []string) int {
	fl := flag.NewFlagSet("list", flag.ContinueOnError)
	asJSON := fl.Bool("json", false, "print JSON")
	platform := fl.String("platform", "", `GRUB's $grub_platform: "efi" or "pc" (default: how this machine booted)`)
	var images, dirs multiFlag
	fl.Var(&images, "image", "a disk image file to read (repeatable)")
	fl.Var(&dirs, "dir", "a directory to read as one volume (repeatable)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if *platform == "" {
		*platform = hostPlatform()
	}
	ctx := context.Background()
	vols, problems, closeAll, err := gather(ctx, images, dirs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "leapboot:", err)
		return 1
	}
	defer closeAll()
	opts := []sources.Option{sources.WithPlatform(*platform)}
	if len(images) == 0 && len(dirs) == 0 {
		if efi := hostEFIVars(); efi != nil {
			opts = append(opts, sources.WithEFIVars(efi))
		}
	}
	m := sources.Read(ctx, vols, opts...)
	for _, p := range problems {
		m.Diagnostics = append(m.Diagnostics, boot.Diagnostic{Message: p.Error()})
	}
	if *asJSON {
		if err := writeJSON(os.Stdout, m, vols); err != nil {
			fmt.Fprintln(os.Stderr, "leapboot:", err)
			return 1
		}
		return 0
	}
	writeTable(os.Stdout, m, vols)
	return 0
}

// hostPlatform says whether this machine booted through UEFI.
func hostPlatform() string {
	if _, err := os.Stat("/sys/firmware/efi"); err == nil {
		return "efi"
	}
	return "pc"
}

// hostEFIVars is this machine's efivarfs, nil when it has none.
func hostEFIVars() fs.FS {
	const dir = "/sys/firmware/efi/efivars"
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	return os.DirFS(dir)
}

// gather collects volumes from images and directories, or, when neither is
// given, from this system's block devices.
func gather(ctx context.Context, images, dirs []string) ([]*boot.Volume, []error, func(), error) {
	var vols []*boot.Volume
	var closers []io.Closer
	var problems []error
	closeAll := func() {
		for _, c := range closers {
			c.Close()
		}
	}
	if len(images) > 0 {
		v, c, err := disk.Images(images)
		if err != nil {
			return nil, nil, nil, err
		}
		vols, closers = append(vols, v...), append(closers, c...)
	}
	for _, d := range dirs {
		v, err := disk.Dir(d)
		if err != nil {
			closeAll()
			return nil, nil, nil, err
		}
		vols = append(vols, v)
	}
	if len(images) == 0 && len(dirs) == 0 {
		s, err := disk.Scan(ctx)
		if err != nil {
			return nil, nil, nil, err
		}
		vols, problems = s.Volumes, s.Problems
		closers = append(closers, s)
	}
	return vols, problems, closeAll, nil
}

type jsonFile struct {
	Volume string `json:"volume"`
	Path   string `json:"path"`
}

type jsonConfig struct {
	Volume string `json:"volume"`
	Path   string `json:"path"`
	Line   int    `json:"line"`
}

type jsonEntry struct {
	ID         string      `json:"id"`
	Title      string      `json:"title"`
	Menu       []string    `json:"menu"`
	Source     boot.Source `json:"source"`
	Config     jsonConfig  `json:"config"`
	Kernel     *jsonFile   `json:"kernel"`
	Initrds    []jsonFile  `json:"initrds"`
	Devicetree *jsonFile   `json:"devicetree"`
	UKI        *jsonFile   `json:"uki,omitempty"`
	Cmdline    string      `json:"cmdline"`
	Error      *string     `json:"error"`
}

type jsonVolume struct {
	Device    string `json:"device"`
	Partition int    `json:"partition"`
	FSType    string `json:"fs_type"`
	UUID      string `json:"uuid"`
	Label     string `json:"label"`
	PartUUID  string `json:"partuuid"`
	PartLabel string `json:"partlabel,omitempty"`
	PartType  string `json:"parttype,omitempty"`
	Bus       string `json:"bus,omitempty"`
	Error     string `json:"error,omitempty"`
}

type jsonDiag struct {
	Volume  string `json:"volume,omitempty"`
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

type jsonMenu struct {
	Default     *string      `json:"default"`
	Timeout     *float64     `json:"timeout"`
	Entries     []jsonEntry  `json:"entries"`
	Volumes     []jsonVolume `json:"volumes"`
	Diagnostics []jsonDiag   `json:"diagnostics"`
}

func volID(v *boot.Volume) string {
	if v == nil {
		return ""
	}
	if v.UUID != "" {
		return v.UUID
	}
	return v.Device
}

func file(f boot.File) jsonFile { return jsonFile{Volume: volID(f.Volume), Path: f.Path} }

func toJSON(m boot.Menu, vols []*boot.Volume) jsonMenu {
	out := jsonMenu{Entries: []jsonEntry{}, Volumes: []jsonVolume{}, Diagnostics: []jsonDiag{}}
	if e := m.DefaultEntry(); e != nil {
		out.Default = &e.ID
	}
	if m.Timeout >= 0 {
		s := m.Timeout.Seconds()
		out.Timeout = &s
	}
	for _, e := range m.Entries {
		je := jsonEntry{ID: e.ID, Title: e.Title, Menu: e.Menu, Source: e.Source,
			Config:  jsonConfig{Volume: volID(e.Origin.Volume), Path: e.Origin.Path, Line: e.Origin.Line},
			Initrds: []jsonFile{}, Cmdline: e.Cmdline}
		if je.Menu == nil {
			je.Menu = []string{e.Title}
		}
		if !e.Kernel.IsZero() {
			k := file(e.Kernel)
			je.Kernel = &k
		}
		for _, f := range e.Initrds {
			je.Initrds = append(je.Initrds, file(f))
		}
		if e.Devicetree != nil {
			d := file(*e.Devicetree)
			je.Devicetree = &d
		}
		if e.UKI != nil {
			u := file(*e.UKI)
			je.UKI = &u
		}
		if e.Err != nil {
			s := e.Err.Error()
			je.Error = &s
		}
		out.Entries = append(out.Entries, je)
	}
	for _, v := range vols {
		jv := jsonVolume{Device: v.Device, Partition: v.Partition, FSType: v.FSType, UUID: v.UUID, Label: v.Label,
			PartUUID: v.PartUUID, PartLabel: v.PartLabel, PartType: v.PartType, Bus: v.Bus}
		if v.Err != nil {
			jv.Error = v.Err.Error()
		}
		out.Volumes = append(out.Volumes, jv)
	}
	for _, d := range m.Diagnostics {
		out.Diagnostics = append(out.Diagnostics, jsonDiag{Volume: volID(d.Origin.Volume), File: d.Origin.Path, Line: d.Origin.Line, Message: d.Message})
	}
	return out
}

func writeJSON(w io.Writer, m boot.Menu, vols []*boot.Volume) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(toJSON(m, vols))
}

func writeTable(w io.Writer, m boot.Menu, vols []*boot.Volume) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tENTRY\tSOURCE\tKERNEL\tCMDLINE")
	for i, e := range m.Entries {
		mark := " "
		if i == m.Default {
			mark = "*"
		}
		kernel := e.Kernel.String()
		if e.UKI != nil {
			kernel = e.UKI.String()
		}
		fmt.Fprintf(tw, "%s%d\t%s\t%s\t%s\t%s\n", mark, i+1, strings.Join(e.Menu, " > "), e.Source, kernel, e.Cmdline)
		if e.Err != nil {
			fmt.Fprintf(tw, "\t  error: %v\t\t\t\n", e.Err)
		}
	}
	tw.Flush()
	switch {
	case m.Timeout < 0:
		fmt.Fprintln(w, "timeout: none (waits for the user)")
	default:
		fmt.Fprintf(w, "timeout: %v\n", m.Timeout)
	}
	fmt.Fprintln(w, "\nVOLUMES")
	tw = tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tTYPE\tUUID\tLABEL\tPARTUUID\tPROBLEM")
	for _, v := range vols {
		prob := ""
		if v.Err != nil {
			prob = v.Err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.Device, v.FSType, v.UUID, v.Label, v.PartUUID, prob)
	}
	tw.Flush()
	if len(m.Diagnostics) > 0 {
		fmt.Fprintln(w, "\nDIAGNOSTICS")
		for _, d := range m.Diagnostics {
			fmt.Fprintln(w, " ", d)
		}
	}
}
