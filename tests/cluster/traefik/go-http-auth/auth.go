// Package auth is a fail-closed stand-in for the go-http-auth fork traefik's
// BasicAuth and DigestAuth middlewares call (see ../README.md). Test builds only.
package auth

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
)

// SecretProvider returns the stored secret of user in realm, "" if unknown.
type SecretProvider func(user, realm string) string

// CheckSecret reports whether password matches secret. Only "{SHA}" secrets
// (base64 of SHA-1, as htpasswd -s writes them) are understood; any other
// scheme is refused.
func CheckSecret(password, secret string) bool {
	encoded, ok := strings.CutPrefix(secret, "{SHA}")
	if !ok {
		return false
	}
	sum := sha1.Sum([]byte(password))
	want := base64.StdEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(encoded), []byte(want)) == 1
}

// BasicAuth answers unauthenticated requests with a Basic challenge.
type BasicAuth struct {
	Realm   string
	Secrets SecretProvider
}

// RequireAuth writes a 401 with the Basic challenge for the realm.
func (a *BasicAuth) RequireAuth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("WWW-Authenticate", `Basic realm="`+a.Realm+`"`)
	http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
}

// DigestAuth rejects every request (digest authentication is not implemented).
type DigestAuth struct {
	Realm   string
	Secrets SecretProvider
}

// NewDigestAuthenticator returns a DigestAuth for realm.
func NewDigestAuthenticator(realm string, secrets SecretProvider) *DigestAuth {
	return &DigestAuth{Realm: realm, Secrets: secrets}
}

// CheckAuth never authenticates: the user is "" and no staleness is reported.
func (a *DigestAuth) CheckAuth(_ *http.Request) (string, *string) { return "", nil }

// RequireAuth writes a 401.
func (a *DigestAuth) RequireAuth(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
}

// RequireAuthStale writes a 401.
func (a *DigestAuth) RequireAuthStale(w http.ResponseWriter, r *http.Request) { a.RequireAuth(w, r) }

// DigestAuthParams parses the comma-separated key=value pairs of a Digest
// Authorization header (used by traefik only to log the user name).
func DigestAuthParams(authorization string) map[string]string {
	rest, ok := strings.CutPrefix(authorization, "Digest ")
	if !ok {
		return nil
	}
	params := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		key, value, found := strings.Cut(strings.TrimSpace(part), "=")
		if found {
			params[key] = strings.Trim(value, `"`)
		}
	}
	return params
}
