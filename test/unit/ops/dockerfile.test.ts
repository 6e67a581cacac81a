import { expect } from "chai";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { envOf, execForm, readDockerfile, type Stage } from "./dockerfile";
import { isRecord, readYamlDocuments } from "./yaml-files";

const REPO = path.resolve(__dirname, "../../..");

/**
 * The image cannot be built here (no Docker engine): these check the Dockerfile's lines that the runtime
 * depends on, and that it agrees with the manifests that run it.
 */
describe("Dockerfile", () => {
  const stages = readDockerfile(path.join(REPO, "Dockerfile"));
  const build = stages.find((s) => s.name === "build");
  const runtime = stages.at(-1)!;
  const env = envOf(runtime);
  const runs = (stage: Stage | undefined) =>
    (stage?.instructions ?? []).filter((i) => i.keyword === "RUN").map((i) => i.args);

  it("builds on pinned base images", () => {
    for (const stage of stages) expect(stage.base, stage.base).to.match(/^[^:@]+(:[\w][\w.-]*|@sha256:\w+)$/);
    for (const stage of stages) expect(stage.base).to.not.match(/:latest$/);
  });

  it("builds the web client in the build stage and serves it from WEB_DIR", () => {
    expect(runs(build).join("\n")).to.contain("npx tsx scripts/build-web.ts");
    const workdir = runtime.instructions.find((i) => i.keyword === "WORKDIR")?.args ?? "/";
    const copied = runtime.instructions
      .filter((i) => i.keyword === "COPY" && i.args.startsWith("--from=build "))
      .map((i) => i.args.split(" ").slice(1))
      .find(([source]) => source === "/app/web/dist");
    expect(copied, "the built web client is copied from the build stage").to.not.equal(undefined);
    expect(path.posix.resolve(workdir, copied![1]!)).to.equal(env.WEB_DIR);
  });

  it("runs Debian's ffmpeg and ffprobe, and drops the static builds from npm", () => {
    const install = runs(runtime).find((r) => /apt-get install/.test(r)) ?? "";
    expect(install.split(" ")).to.include.members(["ffmpeg", "tini"]);
    expect(install).to.contain("--no-install-recommends");
    expect(install).to.match(/rm -rf \/var\/lib\/apt\/lists/);
    expect(env.FFMPEG_PATH).to.equal("/usr/bin/ffmpeg");
    expect(env.FFPROBE_PATH).to.equal("/usr/bin/ffprobe");
    const removed = runs(build).join("\n");
    expect(removed).to.contain("node_modules/@ffmpeg-installer/linux-*");
    expect(removed).to.contain("node_modules/@ffprobe-installer/linux-*");
  });

  it("gives DATA_DIR to the runtime user, a non-root uid the manifests run as", () => {
    const user = runtime.instructions.filter((i) => i.keyword === "USER").at(-1)?.args ?? "";
    const [uid = "", gid = ""] = user.split(":");
    expect(uid, "USER is numeric, so Kubernetes can check runAsNonRoot").to.match(/^\d+$/);
    expect(Number(uid)).to.be.greaterThan(0);
    const dataDir = env.DATA_DIR ?? "";
    expect(dataDir).to.match(/^\//);
    const setUp = runs(runtime).join("\n");
    expect(setUp).to.contain(`mkdir -p ${dataDir}`);
    expect(setUp).to.contain(`chown ${uid}:${gid || uid} ${dataDir}`);
    expect(runAsUsers()).to.deep.equal([Number(uid)]);
  });

  it("runs node under tini, which forwards signals and reaps ffmpeg's processes", () => {
    const entrypoint = execForm(runtime.instructions.find((i) => i.keyword === "ENTRYPOINT")?.args ?? "");
    expect(entrypoint).to.deep.equal(["/usr/bin/tini", "--"]);
    const command = execForm(runtime.instructions.find((i) => i.keyword === "CMD")?.args ?? "");
    expect(command).to.deep.equal(["node", "dist/bin/mosaic.js"]);
    expect(existsSync(path.join(REPO, "bin", "mosaic.ts"))).to.equal(true);
  });
});

/** Every runAsUser the k8s manifests set, at pod or container level. */
function runAsUsers(): number[] {
  const found = new Set<number>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (isRecord(value)) {
      if (typeof value.runAsUser === "number") found.add(value.runAsUser);
      Object.values(value).forEach(visit);
    }
  };
  const k8s = path.join(REPO, "k8s");
  for (const file of readdirSync(k8s).filter((f) => /\.ya?ml$/.test(f)))
    readYamlDocuments(path.join(k8s, file)).forEach(visit);
  return [...found];
}
