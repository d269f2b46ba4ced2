# leapboot: `make run` boots the demo in QEMU, `make test` runs every test.
GO      ?= go
KERNEL  ?=
GOFLAGS_BUILD = -trimpath -ldflags='-s -w'
KDIR    = .cache/kernel

.PHONY: all build deps kernel run run-uefi run-rom test unit e2e bench fuzz lint clean

all: build

# out/leapboot is the full tool; out/leapboot-init the slim /init that
# `leapboot image` embeds by default: -tags tiny leaves out image mode
# (go-diskfs) and the image builder, tcell_minimal the terminal types
# /init never sees, and -l (no inlining) makes the code smaller. Keep in
# step with qemu/demo.go (InitBuildFlags).
GOFLAGS_INIT  = $(GOFLAGS_BUILD) -tags tiny,tcell_minimal -gcflags=all=-l

build: out/leapboot out/leapboot-init

out/leapboot: FORCE
	@mkdir -p out
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o $@ ./cmds/leapboot

out/leapboot-init: FORCE
	@mkdir -p out
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_INIT) -o $@ ./cmds/leapboot

FORCE:

# Host packages (qemu-system-x86, disk tools); apt-get only when missing.
deps:
	@sh qemu/setup.sh

# Debian's kernel package, unpacked into .cache/kernel (git-ignored).
kernel: deps
	@sh qemu/fetch-kernel.sh $(KDIR)

# Boot the demo: the leapboot menu on this terminal. Quit QEMU with Ctrl-A then X.
run: deps $(if $(KERNEL),,kernel) build
	$(GO) run ./qemu/rundemo $(if $(KERNEL),-kernel $(KERNEL))

# The same demo through UEFI: OVMF boots leapboot as a unified kernel image
# (systemd's stub, the kernel, the initramfs) from an ESP.
run-uefi: $(if $(KERNEL),,kernel) build
	@LEAPBOOT_EXTRA_PACKAGES="ovmf systemd-boot-efi" sh qemu/setup.sh
	$(GO) run ./qemu/rundemo -uefi $(if $(KERNEL),-kernel $(KERNEL))

# The demo from a LinuxBoot flash image: OVMF with leapboot's UKI in place of
# its UEFI Shell (images/rom), QEMU's whole firmware (-bios, 16 MiB).
run-rom: $(if $(KERNEL),,kernel) build
	@LEAPBOOT_EXTRA_PACKAGES="ovmf systemd-boot-efi" sh qemu/setup.sh
	$(GO) run ./qemu/rundemo -rom $(if $(KERNEL),-kernel $(KERNEL))

# Every test, the QEMU end-to-end tests included.
test: kernel lint
	@sh qemu/setup.sh test
	$(GO) test -count=1 -timeout 25m ./...
	$(MAKE) fuzz FUZZTIME=5s

# Every fuzz target for FUZZTIME each, starting from its kept corpus
# (testdata/fuzz); make test runs them briefly, longer runs are by hand.
FUZZTIME ?= 1m
fuzz:
	@for f in $$(grep -rl --include='*_test.go' --exclude-dir=.cache --exclude-dir=out '^func Fuzz' boot config menu images cmds qemu); do \
	  for fn in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
	    echo "fuzz $$(dirname $$f) $$fn ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) ./$$(dirname $$f)/ >/tmp/leapboot-fuzz.log 2>&1 \
	      || { cat /tmp/leapboot-fuzz.log; exit 1; }; \
	  done; \
	done

unit:
	$(GO) test -short ./...

bench: kernel
	@sh qemu/setup.sh bench
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./...

STATICCHECK = honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: the files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

clean:
	rm -rf out .cache/demo
