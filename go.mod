module github.com/upedge/upedge

go 1.26.0

replace github.com/molecule-man/go-brrr => github.com/molecule-man/go-brrr v1.0.1

require (
	github.com/minio/sha256-simd v1.0.1
	golang.org/x/sys v0.49.0
)

require github.com/klauspost/cpuid/v2 v2.2.3 // indirect
