// Package dns is a stand-in for lego's DNS-01 provider registry (see ../README.md):
// the test build of traefik links no DNS-provider SDK, so every name is an error.
package dns

import (
	"fmt"

	"github.com/go-acme/lego/v5/challenge"
)

// NewDNSChallengeProviderByName always fails: no DNS provider is built in.
func NewDNSChallengeProviderByName(name string) (challenge.Provider, error) {
	return nil, fmt.Errorf("DNS-01 provider %q is not built into this test build of traefik", name)
}
