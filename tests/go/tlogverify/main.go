// Command tlogverify checks a truceline transparency log with code we did not
// write: golang.org/x/mod/sumdb/note (signed notes) and golang.org/x/mod/sumdb/tlog
// (RFC 6962 hashing, proofs, tile authentication), as shipped by Debian
// (golang-golang-x-mod-dev).  Only glue lives here: reading C2SP checkpoints
// (3 lines, any origin), mapping C2SP tile paths (no height element, entry
// bundles), and a verifier for type 0x04 cosignatures, which x/mod v0.7.0
// does not know.
//
// Usage:
//
//	tlogverify -vkey FILE -checkpoint FILE -dir DIR [-witness VKEY]... [-quorum N]
//	           [-old FILE -consistency FILE] [-proof FILE -entry FILE]...
//
// Exits 0 when every check passes and prints one line per check.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tlogverify: "+format+"\n", args...)
	os.Exit(1)
}

// cosigVerifier verifies c2sp.org/tlog-cosignature type 0x04 signatures.
type cosigVerifier struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

func (v *cosigVerifier) Name() string    { return v.name }
func (v *cosigVerifier) KeyHash() uint32 { return v.hash }
func (v *cosigVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	m := fmt.Sprintf("cosignature/v1\ntime %d\n", t)
	return ed25519.Verify(v.key, append([]byte(m), msg...), sig[8:])
}

func newCosigVerifier(vkey string) (*cosigVerifier, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, errors.New("malformed vkey")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 33 || raw[0] != 0x04 {
		return nil, errors.New("not a type 0x04 vkey")
	}
	h := sha256.Sum256(append([]byte(parts[0]+"\n"), raw...))
	id := binary.BigEndian.Uint32(h[:4])
	if fmt.Sprintf("%08x", id) != parts[1] {
		return nil, errors.New("key ID mismatch")
	}
	return &cosigVerifier{name: parts[0], hash: id, key: ed25519.PublicKey(raw[1:])}, nil
}

type checkpoint struct {
	origin string
	tree   tlog.Tree
	note   *note.Note
}

func openCheckpoint(path string, vs note.Verifiers) checkpoint {
	data, err := os.ReadFile(path)
	if err != nil {
		die("%v", err)
	}
	n, err := note.Open(data, vs)
	if err != nil {
		die("%s: note.Open: %v", path, err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		die("%s: checkpoint has fewer than 3 lines", path)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		die("%s: bad size", path)
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		die("%s: bad root: %v", path, err)
	}
	return checkpoint{origin: lines[0], tree: tlog.Tree{N: size, Hash: root}, note: n}
}

// dirTiles reads C2SP tiles from a log directory for tlog.TileHashReader.
type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return 8 }

// c2spPath maps x/mod's "tile/8/L/N[.p/W]" to C2SP's "tile/L/N[.p/W]".
func c2spPath(t tlog.Tile) string {
	return strings.Replace(t.Path(), "tile/8/", "tile/", 1)
}

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := os.ReadFile(filepath.Join(d.dir, c2spPath(t)))
		if err != nil && t.W < 256 {
			// A partial tile may be gone once its full tile exists (tlog-tiles allows it).
			full := t
			full.W = 256
			data, err = os.ReadFile(filepath.Join(d.dir, c2spPath(full)))
			if err == nil && len(data) >= t.W*32 {
				data = data[:t.W*32]
			}
		}
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (d dirTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

// bundle reads entry bundle n for a tree of the given size and splits it.
func bundle(dir string, n, size int64) [][]byte {
	w := size - n*256
	if w > 256 {
		w = 256
	}
	t := tlog.Tile{H: 8, L: 0, N: n, W: int(w)}
	p := strings.Replace(c2spPath(t), "tile/0/", "tile/entries/", 1)
	data, err := os.ReadFile(filepath.Join(dir, p))
	if err != nil && w < 256 {
		t.W = 256
		data, err = os.ReadFile(filepath.Join(dir, strings.Replace(c2spPath(t), "tile/0/", "tile/entries/", 1)))
	}
	if err != nil {
		die("%v", err)
	}
	var out [][]byte
	for len(data) > 0 && int64(len(out)) < w {
		if len(data) < 2 {
			die("%s: truncated", p)
		}
		l := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+l {
			die("%s: truncated entry", p)
		}
		out = append(out, data[2:2+l])
		data = data[2+l:]
	}
	if int64(len(out)) != w {
		die("%s: %d entries, want %d", p, len(out), w)
	}
	return out
}

func readTile(dir string, l int, n int64, w int) ([]byte, error) {
	t := tlog.Tile{H: 8, L: l, N: n, W: w}
	data, err := dirTiles{dir}.ReadTiles([]tlog.Tile{t})
	if err != nil {
		return nil, err
	}
	return data[0], nil
}

func perfectRoot(hs []tlog.Hash) tlog.Hash {
	for len(hs) > 1 {
		next := make([]tlog.Hash, len(hs)/2)
		for i := range next {
			next[i] = tlog.NodeHash(hs[2*i], hs[2*i+1])
		}
		hs = next
	}
	return hs[0]
}

func auditTiles(dir string, size int64) error {
	var hashes []tlog.Hash
	for n := int64(0); n*256 < size; n++ {
		for _, e := range bundle(dir, n, size) {
			hashes = append(hashes, tlog.RecordHash(e))
		}
	}
	for l := 0; len(hashes) > 0; l++ {
		count := int64(len(hashes))
		for t := int64(0); t*256 < count; t++ {
			w := count - t*256
			if w > 256 {
				w = 256
			}
			data, err := readTile(dir, l, t, int(w))
			if err != nil {
				return err
			}
			if int64(len(data)) != w*32 {
				return fmt.Errorf("tile %d/%d has %d bytes", l, t, len(data))
			}
			for i := int64(0); i < w; i++ {
				if !bytes.Equal(data[i*32:(i+1)*32], hashes[t*256+i][:]) {
					return fmt.Errorf("tile level %d index %d: hash %d differs", l, t, i)
				}
			}
		}
		var up []tlog.Hash
		for j := int64(0); (j+1)*256 <= count; j++ {
			up = append(up, perfectRoot(hashes[j*256:(j+1)*256]))
		}
		hashes = up
	}
	return nil
}

func readHashes(path string) []tlog.Hash {
	data, err := os.ReadFile(path)
	if err != nil {
		die("%v", err)
	}
	var hs []tlog.Hash
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if l == "" {
			continue
		}
		h, err := tlog.ParseHash(l)
		if err != nil {
			die("%s: %v", path, err)
		}
		hs = append(hs, h)
	}
	return hs
}

func main() {
	vkeyFile := flag.String("vkey", "", "file holding the log's verifier key")
	cpFile := flag.String("checkpoint", "", "the checkpoint to verify")
	dir := flag.String("dir", "", "the log directory (tiles)")
	oldFile := flag.String("old", "", "an older checkpoint")
	consFile := flag.String("consistency", "", "our consistency proof from -old to -checkpoint")
	quorum := flag.Int("quorum", 0, "cosignatures required from -witness keys")
	var witnesses, proofs, entries list
	flag.Var(&witnesses, "witness", "a witness vkey (type 0x04); repeatable")
	flag.Var(&proofs, "proof", "a tlog-proof file; repeatable, paired with -entry")
	flag.Var(&entries, "entry", "the entry file of the matching -proof")
	flag.Parse()

	vk, err := os.ReadFile(*vkeyFile)
	if err != nil {
		die("%v", err)
	}
	logV, err := note.NewVerifier(strings.TrimSpace(string(vk)))
	if err != nil {
		die("note.NewVerifier: %v", err)
	}
	verifiers := []note.Verifier{logV}
	for _, w := range witnesses {
		cv, err := newCosigVerifier(w)
		if err != nil {
			die("witness %s: %v", w, err)
		}
		verifiers = append(verifiers, cv)
	}
	vs := note.VerifierList(verifiers...)
	cp := openCheckpoint(*cpFile, vs)
	if cp.origin != logV.Name() {
		die("origin %q is not the key name %q", cp.origin, logV.Name())
	}
	logSigned, cosigned := false, 0
	for _, s := range cp.note.Sigs {
		if s.Name == logV.Name() && s.Hash == logV.KeyHash() {
			logSigned = true
		} else {
			cosigned++
		}
	}
	if !logSigned {
		die("checkpoint is not signed by the log")
	}
	if cosigned < *quorum {
		die("only %d witness cosignatures, need %d", cosigned, *quorum)
	}
	fmt.Printf("note.Open ok: %s size %d, %d witness cosignature(s)\n", cp.origin, cp.tree.N, cosigned)

	thr := tlog.TileHashReader(cp.tree, dirTiles{*dir})
	root, err := tlog.TreeHash(cp.tree.N, thr)
	if err != nil {
		die("TileHashReader/TreeHash: %v", err)
	}
	if root != cp.tree.Hash {
		die("tree hash from tiles %v != checkpoint %v", root, cp.tree.Hash)
	}
	fmt.Printf("tiles ok: TreeHash(%d) from authenticated tiles = checkpoint root\n", cp.tree.N)

	// Every entry bundle hashes to the authenticated level-0 hashes.
	for n := int64(0); n*256 < cp.tree.N; n++ {
		es := bundle(*dir, n, cp.tree.N)
		idx := make([]int64, len(es))
		for i := range es {
			idx[i] = tlog.StoredHashIndex(0, n*256+int64(i))
		}
		hs, err := thr.ReadHashes(idx)
		if err != nil {
			die("ReadHashes: %v", err)
		}
		for i, e := range es {
			if tlog.RecordHash(e) != hs[i] {
				die("entry %d does not hash to its tile", n*256+int64(i))
			}
		}
	}
	fmt.Printf("bundles ok: %d entries match the level-0 tiles\n", cp.tree.N)

	// x/mod v0.7.0's TileHashReader does not authenticate every tile it reads
	// when several subtrees of the tree hash share one tile (its loop over the
	// child tiles starts at len(stx), not at the number of distinct tiles), so
	// check every tile file level by level with x/mod's RecordHash and NodeHash.
	if err := auditTiles(*dir, cp.tree.N); err != nil {
		die("audit: %v", err)
	}
	fmt.Printf("audit ok: every tile at every level matches the entries\n")

	if len(proofs) != len(entries) {
		die("-proof and -entry must pair up")
	}
	for i, pf := range proofs {
		data, err := os.ReadFile(pf)
		if err != nil {
			die("%v", err)
		}
		entry, err := os.ReadFile(entries[i])
		if err != nil {
			die("%v", err)
		}
		parts := bytes.SplitN(data, []byte("\n\n"), 2)
		lines := strings.Split(string(parts[0]), "\n")
		if lines[0] != "c2sp.org/tlog-proof@v1" || len(parts) != 2 {
			die("%s: not a tlog-proof", pf)
		}
		k := 1
		if strings.HasPrefix(lines[k], "extra ") {
			k++
		}
		index, err := strconv.ParseInt(strings.TrimPrefix(lines[k], "index "), 10, 64)
		if err != nil {
			die("%s: bad index", pf)
		}
		var proof tlog.RecordProof
		for _, l := range lines[k+1:] {
			h, err := tlog.ParseHash(l)
			if err != nil {
				die("%s: %v", pf, err)
			}
			proof = append(proof, h)
		}
		pcp := openCheckpointBytes(pf, parts[1], vs)
		if err := tlog.CheckRecord(proof, pcp.tree.N, pcp.tree.Hash, index, tlog.RecordHash(entry)); err != nil {
			die("%s: CheckRecord: %v", pf, err)
		}
		// x/mod computes the same proof from our tiles.
		ptr := tlog.TileHashReader(pcp.tree, dirTiles{*dir})
		mine, err := tlog.ProveRecord(pcp.tree.N, index, ptr)
		if err != nil {
			die("ProveRecord: %v", err)
		}
		if len(mine) != len(proof) {
			die("%s: proof length %d, x/mod computes %d", pf, len(proof), len(mine))
		}
		for j := range mine {
			if mine[j] != proof[j] {
				die("%s: proof hash %d differs from x/mod's", pf, j)
			}
		}
		fmt.Printf("proof ok: entry %d included in size %d (CheckRecord; equals ProveRecord)\n", index, pcp.tree.N)
	}

	if *oldFile != "" {
		old := openCheckpoint(*oldFile, vs)
		proof, err := tlog.ProveTree(cp.tree.N, old.tree.N, thr)
		if err != nil {
			die("ProveTree: %v", err)
		}
		if err := tlog.CheckTree(proof, cp.tree.N, cp.tree.Hash, old.tree.N, old.tree.Hash); err != nil {
			die("CheckTree: %v", err)
		}
		if *consFile != "" {
			ours := tlog.TreeProof(readHashes(*consFile))
			if err := tlog.CheckTree(ours, cp.tree.N, cp.tree.Hash, old.tree.N, old.tree.Hash); err != nil {
				die("CheckTree on our proof: %v", err)
			}
			if len(ours) != len(proof) {
				die("our consistency proof has %d hashes, x/mod's %d", len(ours), len(proof))
			}
			for j := range ours {
				if ours[j] != proof[j] {
					die("consistency hash %d differs from x/mod's", j)
				}
			}
		}
		fmt.Printf("consistency ok: %d -> %d (CheckTree)\n", old.tree.N, cp.tree.N)
	}
}

func openCheckpointBytes(name string, data []byte, vs note.Verifiers) checkpoint {
	f, err := os.CreateTemp("", "cp")
	if err != nil {
		die("%v", err)
	}
	defer os.Remove(f.Name())
	f.Write(data)
	f.Close()
	return openCheckpoint(f.Name(), vs)
}
