/**
 * `prebake images outdated`: for each pushed version line, the base id its content hash used
 * (recorded on the image as org.opencontainers.image.base.digest) against the base's id now
 * (local: the engine's image id; aws: the base's registry digest, public ECR or ECR, asked
 * through the engine without pulling). A moved base means a rebuild is due: exit 10, so CI can
 * start the rebuild. Images pushed before the base was recorded fall back on the content hash:
 * the current hash (which includes the base's id) must be in the registry.
 */
import { type Context, RebuildDueError } from "@prebake/core";
import { imagesDir, listImageNames, loadImageDefinition } from "./definition.ts";
import { shortDigest } from "./digest.ts";
import { planImage } from "./plan.ts";
import { BASE_DIGEST_LABEL, prepareImage } from "./release.ts";
import { type RegistryTarget, resolveRegistry } from "./target.ts";

export type OutdatedState = "up to date" | "base changed" | "content changed" | "not pushed";

export interface OutdatedRow {
  name: string;
  version: string;
  base: string;
  /** The base id the pushed image was built on (undefined: not recorded, or not pushed). */
  builtOn: string | undefined;
  /** The base's id now. */
  current: string;
  /** The digest the version's moving tag points at. */
  pushed: string | undefined;
  state: OutdatedState;
  /** Whether a push would rebuild it now (what exit 10 reports). */
  rebuildDue: boolean;
}

/** What the registry and the engine said, for one version line. Pure decision. */
export function outdatedState(facts: {
  pushed: string | undefined;
  builtOn: string | undefined;
  current: string;
  currentHashInRegistry: boolean;
}): { state: OutdatedState; rebuildDue: boolean } {
  if (!facts.pushed) return { state: "not pushed", rebuildDue: false };
  if (facts.builtOn !== undefined && facts.builtOn !== facts.current)
    return { state: "base changed", rebuildDue: true };
  if (!facts.currentHashInRegistry) return { state: "content changed", rebuildDue: true };
  return { state: "up to date", rebuildDue: false };
}

/** The base id recorded on a pushed image: its config's label (images pushed before it was recorded have none). */
async function builtOn(
  registry: RegistryTarget,
  repository: string,
  reference: string,
): Promise<string | undefined> {
  const manifest = JSON.parse(
    (await registry.api.getManifest(repository, reference)).bytes.toString("utf8"),
  ) as {
    config?: { digest?: string };
  };
  if (!manifest.config?.digest) return undefined; // an image index: no single config to read
  const config = JSON.parse(
    (await registry.api.getBlob(repository, manifest.config.digest)).toString("utf8"),
  ) as {
    config?: { Labels?: Record<string, string> };
  };
  return config.config?.Labels?.[BASE_DIGEST_LABEL];
}

async function checkVersion(
  ctx: Context,
  registry: RegistryTarget,
  name: string,
  version: string,
): Promise<OutdatedRow> {
  const def = loadImageDefinition(imagesDir(ctx.config.rootDir), name);
  const pushed = await registry.api.lookup(def.repository, version);
  if (!pushed) {
    // Never pushed from anywhere: nothing can be outdated, and its base need not exist here.
    const { base } = planImage(def, version, ctx.config.profile.kind);
    return {
      name,
      version,
      base,
      builtOn: undefined,
      current: "-",
      pushed,
      ...outdatedState({ pushed, builtOn: undefined, current: "-", currentHashInRegistry: false }),
    };
  }
  const img = await prepareImage(ctx, def, version, registry);
  const recorded = await builtOn(registry, def.repository, pushed);
  const currentHashInRegistry = (await registry.api.lookup(def.repository, img.tags.immutable)) !== undefined;
  return {
    name,
    version,
    base: img.plan.base,
    builtOn: recorded,
    current: img.baseId,
    pushed,
    ...outdatedState({ pushed, builtOn: recorded, current: img.baseId, currentHashInRegistry }),
  };
}

/** Every version line of the named images (default: all), checked against the registry the profile uses. */
export async function findOutdatedImages(ctx: Context, names: string[] = []): Promise<OutdatedRow[]> {
  const dir = imagesDir(ctx.config.rootDir);
  const registry = await resolveRegistry(ctx);
  const rows: OutdatedRow[] = [];
  for (const name of names.length ? names : listImageNames(dir)) {
    for (const version of Object.keys(loadImageDefinition(dir, name).versions)) {
      rows.push(await checkVersion(ctx, registry, name, version));
    }
  }
  return rows;
}

const short = (id: string | undefined) => (id && id !== "-" ? shortDigest(id) : "-");

/** The table, the result, and exit 10 when any pushed image needs a rebuild. */
export function reportOutdated(ctx: Context, rows: OutdatedRow[]): void {
  ctx.out.table(
    ["image", "version", "base", "built on", "base now", "state"],
    rows.map((r) => [r.name, r.version, r.base, short(r.builtOn), short(r.current), r.state]),
  );
  ctx.out.result(rows);
  const due = rows.filter((r) => r.rebuildDue);
  if (due.length === 0) {
    ctx.out.success("no pushed image needs a rebuild");
    return;
  }
  throw new RebuildDueError(
    `${due.length} image(s) need a rebuild: ${due.map((r) => `${r.name} ${r.version} (${r.state})`).join(", ")}`,
    {
      where: "images/",
      fix: `prebake push ${[...new Set(due.map((r) => r.name))].join(" / ")} --all-versions, or in AWS: prebake codebuild rebuild-images`,
    },
  );
}
