// Package console is switchboard's browser console: a single page (plain HTML, CSS and
// JavaScript modules, no build step) embedded in the gateway and served under /console/.
// It talks to the REST API of the same gateway with fetch and the caller's credential.
package console

import (
	"embed"
	"net/http"
	"path"
)

//go:embed index.html console.css *.js
var files embed.FS

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
}

// The page loads only its own files and calls only its own origin; the OAuth callback's
// code never leaves in a Referer.
const securityPolicy = "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Handler serves GET /console (a redirect to /console/), the page at /console/ and at the
// OAuth callback /console/oauth/callback, and its files /console/<name>.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
		target := "/console/"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /console/{$}", page)
	mux.HandleFunc("GET /console/oauth/callback", page)
	mux.HandleFunc("GET /console/{file}", func(w http.ResponseWriter, r *http.Request) {
		serve(w, r, r.PathValue("file"))
	})
	return mux
}

func page(w http.ResponseWriter, r *http.Request) { serve(w, r, "index.html") }

func serve(w http.ResponseWriter, r *http.Request, name string) {
	body, err := files.ReadFile(name)
	contentType, known := contentTypes[path.Ext(name)]
	if err != nil || !known {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Security-Policy", securityPolicy)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	w.Write(body)
}
