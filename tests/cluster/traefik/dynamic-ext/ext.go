// Package ext is a stand-in for traefik's dynamic-configuration extension points
// (see ../README.md): empty types embedded inline by pkg/config/dynamic.
package ext

// HTTP extends dynamic.HTTPConfiguration.
type HTTP struct{}

// Router extends dynamic.Router.
type Router struct{}

// Service extends dynamic.Service.
type Service struct{}

// Middleware extends dynamic.Middleware.
type Middleware struct{}
