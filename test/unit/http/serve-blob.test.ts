import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { expect } from "chai";
import { FsBlobStore } from "../../../lib/blobs/fs";
import { serveBlob } from "../../../lib/http/serve-blob";

describe("serving a stored file", () => {
  let dir: string;
  let store: FsBlobStore;
  let server: http.Server;
  let base: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mosaic-serve-"));
    store = new FsBlobStore({ root: dir });
    server = http.createServer((req, res) => {
      void serveBlob(store, (req.url ?? "/").slice(1), req, res).then((found) => {
        if (!found) res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const [key, contentType, disposition] of [
    ["m/photo.jpg", "image/jpeg", "inline"],
    ["m/clip.mp4", "video/mp4", "inline"],
    ["m/drawing.svg", "image/svg+xml", "attachment"],
    ["m/page.html", "text/html; charset=utf-8", "attachment"],
    ["m/doc.pdf", "application/pdf", "attachment"],
  ] as const) {
    it(`serves ${contentType} with its stored type, ${disposition}`, async () => {
      await store.put(key, Readable.from([Buffer.from("bytes")]), { contentType });
      for (const range of [undefined, "bytes=0-1"]) {
        const res = await fetch(`${base}/${key}`, { headers: range === undefined ? {} : { range } });
        expect(res.status).to.equal(range === undefined ? 200 : 206);
        expect(res.headers.get("content-type")).to.equal(contentType);
        expect(res.headers.get("content-disposition")).to.equal(disposition);
        await res.arrayBuffer();
      }
    });
  }
});
