/**
 * A small Dockerfile checker for the rules that matter for these images, used by docker.test.ts
 * because hadolint cannot be installed where CI runs: it is not in Debian bookworm, it ships only as
 * GitHub release binaries and a Docker Hub image (neither reachable from CI), and its npm wrapper
 * downloads the binary from GitHub. A hadolint test that could only ever be skipped was dropped.
 */

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY… */
  keyword: string;
  /** Everything after the keyword, continuation lines joined with spaces. */
  args: string;
  /** 1-based line of the keyword. */
  line: number;
  /** Index of the build stage (0 = first FROM); -1 before any FROM (global ARGs). */
  stage: number;
}

export interface Stage {
  image: string;
  name?: string;
}

export interface Problem {
  rule: string;
  line: number;
  message: string;
}

/** Instructions in order, comments and blank lines dropped, `\` continuations joined. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  let pending: { line: number; parts: string[] } | undefined;
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    if (!pending && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (pending && trimmed.startsWith('#')) return; // comments inside a continued instruction
    const continued = trimmed.endsWith('\\');
    const part = continued ? trimmed.slice(0, -1).trim() : trimmed;
    pending ??= { line: i + 1, parts: [] };
    pending.parts.push(part);
    if (continued) return;
    const whole = pending.parts.filter(Boolean).join(' ');
    const m = /^(\S+)\s*(.*)$/.exec(whole)!;
    const keyword = m[1].toUpperCase();
    if (keyword === 'FROM') stage++;
    out.push({ keyword, args: m[2], line: pending.line, stage });
    pending = undefined;
  });
  return out;
}

/** Global ARG defaults (before the first FROM), for expanding `${NAME}` in FROM lines. */
function globalArgs(ins: readonly Instruction[]): Map<string, string> {
  const args = new Map<string, string>();
  for (const i of ins) {
    if (i.keyword !== 'ARG' || i.stage !== -1) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(i.args.trim());
    if (m?.[2] !== undefined) args.set(m[1], m[2].replace(/^"(.*)"$/, '$1'));
  }
  return args;
}

export function stages(ins: readonly Instruction[]): Stage[] {
  const args = globalArgs(ins);
  return ins
    .filter((i) => i.keyword === 'FROM')
    .map((i) => {
      const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const image = words[0].replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_m, n: string) => args.get(n) ?? `\${${n}}`);
      const as = words.findIndex((w) => w.toUpperCase() === 'AS');
      return { image, name: as >= 0 ? words[as + 1] : undefined };
    });
}

/** Rules: pinned bases, non-root final user, HEALTHCHECK, exec-form entrypoint, no ADD of URLs, tidy apt, npm ci without `prepare`. */
export function checkDockerfile(text: string): Problem[] {
  const ins = parseDockerfile(text);
  const problems: Problem[] = [];
  const add = (rule: string, line: number, message: string) => problems.push({ rule, line, message });
  const all = stages(ins);
  if (all.length === 0) return [{ rule: 'from', line: 1, message: 'no FROM instruction' }];
  const names = new Set(all.map((s) => s.name).filter((n): n is string => n !== undefined));
  const last = all.length - 1;

  ins.filter((i) => i.keyword === 'FROM').forEach((i, n) => {
    const { image } = all[n];
    if (names.has(image)) return; // FROM an earlier stage
    if (image.includes('${')) add('base-pinned', i.line, `base image ${image} uses an ARG without a default`);
    else if (!image.includes('@') && !/:[^/]+$/.test(image)) add('base-pinned', i.line, `base image ${image} has no tag: pin one`);
    else if (/:latest$/.test(image)) add('base-pinned', i.line, `base image ${image} uses :latest: pin a version`);
  });

  for (const i of ins) {
    if (i.keyword === 'ADD' && /(^|\s)https?:\/\//.test(i.args)) add('no-add-url', i.line, 'ADD of a URL: download in a RUN step and check its hash instead');
    if (i.keyword === 'COPY') {
      const from = /--from=(\S+)/.exec(i.args)?.[1];
      if (from && !names.has(from) && !/^\d+$/.test(from)) add('copy-from-stage', i.line, `COPY --from=${from}: no stage of that name`);
    }
    if (i.keyword === 'WORKDIR' && !i.args.startsWith('/')) add('workdir-absolute', i.line, `WORKDIR ${i.args} is relative`);
    if (i.keyword === 'RUN') {
      if (/apt-get\s+install/.test(i.args)) {
        if (!/apt-get\s+update/.test(i.args)) add('apt-update', i.line, 'apt-get install without apt-get update in the same RUN (stale cached lists)');
        if (!/\s(-y|--yes|--assume-yes)(\s|$)/.test(i.args)) add('apt-yes', i.line, 'apt-get install without -y');
        if (!/--no-install-recommends/.test(i.args)) add('apt-recommends', i.line, 'apt-get install without --no-install-recommends');
        if (!/rm -rf \/var\/lib\/apt\/lists/.test(i.args)) add('apt-lists', i.line, 'apt lists not removed in the same RUN (rm -rf /var/lib/apt/lists/*)');
      }
      // `prepare` runs the TypeScript build, which --omit=dev does not install.
      for (const cmd of i.args.split(/&&|;/)) {
        if (/npm\s+ci\b/.test(cmd) && /--omit[= ]dev|--production/.test(cmd) && !/--ignore-scripts/.test(cmd)) {
          add('npm-omit-dev', i.line, 'npm ci --omit=dev runs the `prepare` build without tsc: add --ignore-scripts');
        }
      }
    }
  }

  const final = ins.filter((i) => i.stage === last);
  const users = final.filter((i) => i.keyword === 'USER');
  const user = users.at(-1)?.args.split(':')[0].trim();
  if (!user) add('non-root', final[0].line, 'the final stage sets no USER: it would run as root');
  else if (user === 'root' || user === '0') add('non-root', users.at(-1)!.line, 'the final stage runs as root');
  const health = final.filter((i) => i.keyword === 'HEALTHCHECK').at(-1);
  if (!health || /^NONE\b/i.test(health.args)) add('healthcheck', final[0].line, 'the final stage has no HEALTHCHECK');
  for (const i of final) {
    if ((i.keyword === 'ENTRYPOINT' || i.keyword === 'CMD') && !i.args.trim().startsWith('[')) {
      add('exec-form', i.line, `${i.keyword} in shell form: signals would reach /bin/sh, not the process`);
    }
  }
  if (!final.some((i) => i.keyword === 'ENTRYPOINT' || i.keyword === 'CMD')) add('exec-form', final[0].line, 'the final stage has no ENTRYPOINT or CMD');
  return problems;
}
