// Prints the gzip size of what the browser loads up front (entry + modulepreloads + CSS in index.html)
// and of everything emitted. Run after `vite build`.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const out = new URL('../../sealhub/api/static/', import.meta.url).pathname
const html = readFileSync(join(out, 'index.html'), 'utf8')
const refs = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1])
const gz = (p) => gzipSync(readFileSync(join(out, p))).length
const kb = (n) => (n / 1024).toFixed(1) + ' KB'

let initial = 0
for (const r of new Set(refs)) initial += gz(r)

let total = 0
let totalJs = 0
const walk = (dir) => {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f)
    if (statSync(p).isDirectory()) walk(p)
    else if (/\.(js|mjs|css)$/.test(f)) {
      const n = gzipSync(readFileSync(p)).length
      total += n
      if (/\.(js|mjs)$/.test(f)) totalJs += n
    }
  }
}
walk(join(out, 'assets'))
console.log(`initial load (entry JS + preloads + CSS, gzip): ${kb(initial)} in ${new Set(refs).size} files`)
console.log(`all emitted JS+CSS (gzip): ${kb(total)} (JS ${kb(totalJs)})`)
