package kmod

// OrderFile is where a leapboot initramfs lists, one per line, the module
// files /init loads at start, in order (images.ModulesOrderFile writes it).
// It lives here, not in images, so /init does not link the image builder.
const OrderFile = "/lib/modules/leapboot.order"
