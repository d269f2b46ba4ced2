package config

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The password hash is GRUB's password_pbkdf2 format, so a hash made by
// grub-mkpasswd-pbkdf2 works too: grub.pbkdf2.sha512.ITERATIONS.SALT.HASH,
// salt and hash in hex, PBKDF2-HMAC-SHA512.
const (
	hashPrefix = "grub.pbkdf2.sha512."
	// Iterations is what HashPassword uses (grub-mkpasswd-pbkdf2's default
	// is 10000; a boot loader can afford more).
	Iterations = 100000
	saltLen    = 64
	keyLen     = 64
)

type hash struct {
	iter       int
	salt, want []byte
}

func parseHash(s string) (hash, error) {
	rest, ok := strings.CutPrefix(s, hashPrefix)
	if !ok {
		return hash{}, errors.New("password hash does not start with \"grub.pbkdf2.sha512\"")
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 {
		return hash{}, errors.New("password hash is not grub.pbkdf2.sha512.ITERATIONS.SALT.HASH")
	}
	iter, err := strconv.Atoi(parts[0])
	if err != nil || iter < 1 || iter > 10000000 {
		return hash{}, fmt.Errorf("password hash: bad iteration count %q", parts[0])
	}
	salt, err1 := hex.DecodeString(parts[1])
	want, err2 := hex.DecodeString(parts[2])
	if err1 != nil || err2 != nil || len(salt) == 0 || len(want) == 0 || len(want) > 64*16 {
		return hash{}, errors.New("password hash: salt and hash must be hex")
	}
	return hash{iter, salt, want}, nil
}

// HashPassword makes a hash for edit.password with a random salt.
func HashPassword(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return hashWith(password, salt, Iterations)
}

func hashWith(password string, salt []byte, iter int) (string, error) {
	k, err := pbkdf2.Key(sha512.New, password, salt, iter, keyLen)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%d.%X.%X", hashPrefix, iter, salt, k), nil
}

// CheckPassword reports whether password matches the hash. A malformed
// hash matches nothing.
func CheckPassword(hashText, password string) bool {
	h, err := parseHash(hashText)
	if err != nil {
		return false
	}
	k, err := pbkdf2.Key(sha512.New, password, h.salt, h.iter, len(h.want))
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(k, h.want) == 1
}
