package s3origin

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/valyala/fasthttp"

	"github.com/upedge/upedge/backend"
	"github.com/upedge/upedge/backend/httporigin"
	"github.com/upedge/upedge/backend/internal/originclient"
	"github.com/upedge/upedge/backend/longname"
)

var _ backend.Lister = (*Store)(nil)

// statConcurrency is how many HEADs List has in flight: S3 returns no
// user metadata in listings, so the uploader of each object takes one.
const statConcurrency = 16

// List implements backend.Lister with ListObjectsV2 below the store's
// prefix (1000 keys a page) and a HEAD per object for the uploader kept
// in its metadata, statConcurrency at a time: a bucket of N objects costs
// N/1000 listings and N HEADs. Keys that are no valid names (another
// tool's objects, the health probe) are passed over.
func (s *Store) List(ctx context.Context, fn func(backend.ObjectInfo) error) error {
	token := ""
	for {
		page, err := s.listPage(ctx, token)
		if err != nil {
			return err
		}
		names := make([]string, 0, len(page.Contents))
		for _, c := range page.Contents {
			name, ok := strings.CutPrefix(c.Key, s.prefix)
			if !ok || name == "" || name == originclient.HealthProbe {
				continue
			}
			if !longname.Fits(name, longname.NameMax) {
				// A longname key: named by itself (see key).
				name = KeyMark + name
			} else if s.checkName(name) != nil {
				continue
			}
			names = append(names, name)
		}
		infos, err := s.statAll(ctx, names)
		if err != nil {
			return err
		}
		for _, info := range infos {
			if info.Name == "" {
				continue // gone since it was listed
			}
			if err := fn(info); err != nil {
				return err
			}
		}
		if !page.IsTruncated || page.NextContinuationToken == "" {
			return nil
		}
		token = page.NextContinuationToken
	}
}

// listPage is one ListObjectsV2 answer.
type listPage struct {
	Contents []struct {
		Key string
	}
	IsTruncated           bool
	NextContinuationToken string
}

func (s *Store) listPage(ctx context.Context, token string) (*listPage, error) {
	q := url.Values{"list-type": {"2"}}
	if s.prefix != "" {
		q.Set("prefix", s.prefix)
	}
	if token != "" {
		q.Set("continuation-token", token)
	}
	// The signer encodes the query as url.Values.Encode with %20 for
	// spaces; sending it the same way keeps the two equal.
	pq := httporigin.AppendEscapedPath(nil, s.basePath)
	pq = append(pq, '?')
	pq = append(pq, strings.ReplaceAll(q.Encode(), "+", "%20")...)
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	if err := s.Client.Send(ctx, fasthttp.MethodGet, pq, resp); err != nil {
		return nil, err
	}
	if st := resp.StatusCode(); st != fasthttp.StatusOK {
		return nil, s.Client.StatusError("list", s.prefix, st)
	}
	var page listPage
	if err := xml.Unmarshal(resp.Body(), &page); err != nil {
		return nil, fmt.Errorf("cannot parse the listing of %s: %w", s.Client.Label(), err)
	}
	return &page, nil
}

// statAll HEADs names, statConcurrency at a time; an object gone since it
// was listed leaves a zero ObjectInfo.
func (s *Store) statAll(ctx context.Context, names []string) ([]backend.ObjectInfo, error) {
	infos := make([]backend.ObjectInfo, len(names))
	errs := make([]error, len(names))
	sem := make(chan struct{}, statConcurrency)
	var wg sync.WaitGroup
	for i, name := range names {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			info, err := s.Client.Stat(ctx, name)
			if errors.Is(err, backend.ErrNotFound) {
				return
			}
			infos[i], errs[i] = info, err
		}()
	}
	wg.Wait()
	return infos, errors.Join(errs...)
}

// Delete removes name (or, for a name List marked with KeyMark, that
// key): backend.ErrNotFound when there is none (asked with a HEAD first,
// since S3 answers a DELETE of a missing key with 204).
func (s *Store) Delete(ctx context.Context, name string) error {
	if err := s.checkName(name); err != nil && !strings.HasPrefix(name, KeyMark) {
		return backend.ErrNotFound
	}
	if _, err := s.Client.Stat(ctx, name); err != nil {
		return err // backend.ErrNotFound among others
	}
	return s.Client.Delete(ctx, name)
}
