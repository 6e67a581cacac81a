import { expect } from "chai";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { checkCompose } from "./compose-rules";
import { envOf, readDockerfile } from "./dockerfile";
import { isRecord, readYamlDocument } from "./yaml-files";

const REPO = path.resolve(__dirname, "../../..");
const COMPOSE_FILE = path.join(REPO, "docker-compose.yml");

type Services = Record<string, Record<string, unknown>>;

describe("docker-compose.yml", () => {
  const imageEnv = envOf(readDockerfile(path.join(REPO, "Dockerfile")).at(-1)!);

  it("pins its images, checks every service's health, waits for health, gives every node Redis", () => {
    expect(checkCompose(readYamlDocument(COMPOSE_FILE), { imageEnv })).to.deep.equal([]);
  });

  it("is accepted by `docker-compose config` (when docker-compose is installed)", function () {
    // `config` reads and validates the file without a Docker engine.
    const run = spawnSync("docker-compose", ["-f", COMPOSE_FILE, "config", "-q"], {
      cwd: REPO,
      encoding: "utf8",
    });
    const missing = run.error !== undefined && "code" in run.error && run.error.code === "ENOENT";
    if (missing) {
      if (process.env.MOSAIC_REQUIRE_COMPOSE === "1")
        expect.fail(
          "MOSAIC_REQUIRE_COMPOSE=1 and docker-compose is not installed (Debian: apt-get install docker-compose)",
        );
      this.skip();
    }
    expect(run.status, run.stderr).to.equal(0);
  });

  describe("a broken copy is caught", () => {
    const breakages: { what: string; apply(services: Services): void; expect: RegExp }[] = [
      {
        what: "an image tagged latest",
        apply: (s) => (s.redis!.image = "redis:latest"),
        expect: /^redis: image redis:latest is not pinned/,
      },
      {
        what: "a bare image name",
        apply: (s) => (s.minio!.image = "minio/minio"),
        expect: /^minio: image minio\/minio is not pinned/,
      },
      {
        what: "a built image without a tag",
        apply: (s) => delete s.transcoder!.image,
        expect: /^transcoder: image \(none\) is not pinned/,
      },
      {
        what: "a service without a healthcheck",
        apply: (s) => delete s.nats!.healthcheck,
        expect: /^nats: no healthcheck/,
      },
      {
        what: "a node that only waits for a start",
        apply: (s) =>
          (s.social!.depends_on = { ...dependencies(s.social!), redis: { condition: "service_started" } }),
        expect: /^social: does not wait for redis to be healthy/,
      },
      {
        what: "depends_on as a list",
        apply: (s) => (s["users-1"]!.depends_on = ["nats", "cassandra"]),
        expect: /^users-1: depends_on is a list/,
      },
      {
        what: "a dependency that is no service",
        apply: (s) =>
          (s.search!.depends_on = {
            ...dependencies(s.search!),
            elasticsearch: { condition: "service_healthy" },
          }),
        expect: /^search: depends on elasticsearch, which is no service/,
      },
      {
        what: "a gateway without REDIS_URL",
        apply: (s) => {
          const { REDIS_URL: _, ...rest } = environment(s["gateway-1"]!);
          s["gateway-1"]!.environment = rest;
        },
        expect: /^gateway-1: no REDIS_URL/,
      },
      {
        what: "a node that does not wait for NATS",
        apply: (s) => {
          const { nats: _, ...rest } = dependencies(s.transcoder!);
          s.transcoder!.depends_on = rest;
        },
        expect: /^transcoder: does not wait for nats \(TRANSPORTER\)/,
      },
      {
        what: "a healthcheck on the wrong endpoint",
        apply: (s) =>
          (s.actors!.healthcheck = {
            test: [
              "CMD",
              "node",
              "-e",
              "fetch('http://127.0.0.1:3000/health/live').then(() => process.exit(0))",
            ],
          }),
        expect: /^actors: the healthcheck does not ask \/health\/ready on port 3000/,
      },
      {
        what: "a gateway that starts before the search node",
        apply: (s) => {
          const { search: _, ...rest } = dependencies(s["gateway-2"]!);
          s["gateway-2"]!.depends_on = rest;
        },
        expect: /^gateway-2: a gateway that does not wait for search/,
      },
      {
        what: "docker's default stop timeout",
        apply: (s) => delete s["users-2"]!.stop_grace_period,
        expect: /^users-2: stop_grace_period 10 s is not above drain \+ grace \(35 s\)/,
      },
      {
        what: "a transcoder stopped before its longest job",
        apply: (s) =>
          (s.transcoder!.environment = { ...environment(s.transcoder!), SHUTDOWN_GRACE_MS: "30000" }),
        expect: /^transcoder: a shutdown grace of 30 s is shorter than the longest transcode/,
      },
      {
        what: "two nodes with one worker id",
        apply: (s) => (s.actors!.environment = { ...environment(s.actors!), WORKER_ID: "3" }),
        expect: /^(social|actors): WORKER_ID 3 is also (social|actors)'s/,
      },
      {
        what: "search without the engine",
        apply: (s) => {
          const { SEARCH_URL: _, ...rest } = environment(s.search!);
          s.search!.environment = rest;
        },
        expect: /^search: hosts search without SEARCH_URL/,
      },
      {
        what: "a misspelt host",
        apply: (s) =>
          (s.social!.environment = { ...environment(s.social!), REDIS_URL: "redis://rediss:6379" }),
        expect: /^social: REDIS_URL names rediss, which is no service/,
      },
      {
        what: "Cassandra's data in its container",
        apply: (s) => delete s.cassandra!.volumes,
        expect: /^cassandra: keeps its data in the container/,
      },
      {
        what: "an undeclared volume",
        apply: (s) => (s.opensearch!.volumes = ["search-data:/usr/share/opensearch/data"]),
        expect: /^opensearch: volume search-data is not declared/,
      },
      {
        what: "a role left out (no transcoder)",
        apply: (s) => delete s.transcoder,
        expect: /no service hosts the transcoder service/,
      },
      {
        what: "a node its config refuses",
        apply: (s) => (s["users-1"]!.environment = { ...environment(s["users-1"]!), JWT_SECRET: "short" }),
        expect: /^users-1: the node would not start: JWT_SECRET/,
      },
    ];
    for (const breakage of breakages) {
      it(breakage.what, () => {
        // Anchors make services share objects (one healthcheck, one environment map): each breakage replaces a
        // value rather than changing a shared one.
        const compose = readYamlDocument(COMPOSE_FILE);
        if (!isRecord(compose) || !isServices(compose.services)) throw new Error("no services");
        breakage.apply(compose.services);
        expect(checkCompose(compose, { imageEnv }).join("\n")).to.match(
          new RegExp(breakage.expect.source, "m"),
        );
      });
    }
  });
});

function environment(service: Record<string, unknown>): Record<string, unknown> {
  return isRecord(service.environment) ? service.environment : {};
}

function dependencies(service: Record<string, unknown>): Record<string, unknown> {
  return isRecord(service.depends_on) ? service.depends_on : {};
}

function isServices(value: unknown): value is Services {
  return isRecord(value) && Object.values(value).every(isRecord);
}
