import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import type { MediaView } from "../../lib/media-library/media-view";
import type { PostView } from "../../lib/posts/posts";
import { api, type Account } from "./test-node";

const PHOTO = path.resolve(__dirname, "../fixtures/image.png");
let photo: Promise<Buffer> | undefined;
const CLIP = path.resolve(__dirname, "../fixtures/clip.mp4");
let clip: Promise<Buffer> | undefined;

/**
 * Uploads the fixture photo through `POST /api/media`, with bytes of its own each time so that content
 * deduplication does not make two uploads one original. With `ready`, waits until the variants are rendered.
 */
export async function uploadPhoto(
  url: string,
  owner: Account,
  options: { ready?: boolean } = {},
): Promise<MediaView> {
  photo ??= readFile(PHOTO);
  const bytes = new Blob([await photo, Buffer.from(Math.random().toString())], { type: "image/png" });
  return upload(url, owner, bytes, "a.png", options.ready === true);
}

/** Uploads the fixture video clip through `POST /api/media` and waits until it is transcoded. */
export async function uploadVideo(url: string, owner: Account): Promise<MediaView> {
  clip ??= readFile(CLIP);
  return upload(url, owner, new Blob([await clip], { type: "video/mp4" }), "clip.mp4", true);
}

async function upload(
  url: string,
  owner: Account,
  bytes: Blob,
  name: string,
  ready: boolean,
): Promise<MediaView> {
  const form = new FormData();
  form.append("file", bytes, name);
  const res = await fetch(`${url}/api/media`, {
    method: "POST",
    headers: { authorization: `Bearer ${owner.token}` },
    body: form,
  });
  expect(res.status).to.equal(201);
  let media = (await res.json()) as MediaView;
  for (let i = 0; ready && i < 600 && media.status === "processing"; i++) {
    await new Promise((r) => setTimeout(r, 100));
    media = (await api<MediaView>(url, "GET", `/api/media/${media.id}`, { token: owner.token })).body;
  }
  if (ready) expect(media.status).to.equal("ready");
  return media;
}

/** A post of one freshly uploaded photo, through `POST /api/posts`. */
export async function createPost(url: string, owner: Account, caption = "hello"): Promise<PostView> {
  const media = await uploadPhoto(url, owner);
  const res = await api<PostView>(url, "POST", "/api/posts", {
    token: owner.token,
    body: { caption, mediaIds: [media.id] },
  });
  expect(res.status, res.text).to.equal(201);
  return res.body;
}

/** A post of the media given, through `POST /api/posts`. */
export async function postMedia(
  url: string,
  owner: Account,
  mediaIds: string[],
  caption = "hello",
): Promise<PostView> {
  const res = await api<PostView>(url, "POST", "/api/posts", {
    token: owner.token,
    body: { caption, mediaIds },
  });
  expect(res.status, res.text).to.equal(201);
  return res.body;
}
