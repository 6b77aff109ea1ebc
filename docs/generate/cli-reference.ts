/**
 * Command tree → Markdown reference: for each command its usage, description, arguments and
 * options with their defaults, read from the commander definitions the CLI itself runs on.
 */
import { sep } from 'node:path';
import type { Argument, Command, Option } from 'commander';

export interface CliReferenceOptions {
  /**
   * The package's folder: defaults inside it (the example config, the demo's data folder) are
   * shown as `<package>/…`, so the reference reads the same on every machine.
   */
  packageRoot: string;
}

/** Every command below `program`, depth first: groups (`edge`) as `###`, their commands as `####`. */
export function cliReference(program: Command, o: CliReferenceOptions): string {
  const show = (v: unknown) => `\`${showDefault(v, o.packageRoot)}\``;
  const sections: string[] = [commandSection(program, [], show)];
  const walk = (cmd: Command, path: string[]) => {
    for (const sub of cmd.commands) {
      const subPath = [...path, sub.name()];
      sections.push(commandSection(sub, subPath, show));
      walk(sub, subPath);
    }
  };
  walk(program, [program.name()]);
  return sections.join('\n');
}

type Show = (v: unknown) => string;

function commandSection(cmd: Command, path: string[], show: Show): string {
  const name = path.length ? path.join(' ') : cmd.name();
  const heading = path.length <= 2 ? '###' : '####';
  const lines = [`${heading} \`${name}\``, '', cmd.description(), ''];
  if (cmd.commands.length > 0 && path.length > 0) {
    lines.push(`Commands: ${cmd.commands.map((c) => `\`${c.name()}\``).join(', ')}.`, '');
    return lines.join('\n');
  }
  if (path.length > 0) lines.push('```', `${name} ${cmd.usage()}`, '```', '');
  if (cmd.registeredArguments.length > 0) {
    lines.push('| Argument | Default | Description |', '|---|---|---|', ...cmd.registeredArguments.map((a) => argumentRow(a, show)), '');
  }
  const options = cmd.options.filter((opt) => !opt.hidden);
  if (options.length > 0) {
    lines.push('| Option | Default | Description |', '|---|---|---|', ...options.map((opt) => optionRow(opt, show)), '');
  }
  return lines.join('\n');
}

function argumentRow(a: Argument, show: Show): string {
  const name = `${a.name()}${a.variadic ? '...' : ''}`;
  const given = a.required ? `<${name}>` : `[${name}]`;
  const dflt = a.defaultValue !== undefined ? show(a.defaultValue) : a.required ? 'required' : '—';
  return `| ${cells(`\`${given}\``, dflt, a.description)} |`;
}

function optionRow(opt: Option, show: Show): string {
  const dflt = opt.defaultValue !== undefined ? show(opt.defaultValue) : opt.mandatory ? 'required' : '—';
  return `| ${cells(`\`${opt.flags}\``, dflt, opt.description)} |`;
}

function showDefault(v: unknown, packageRoot: string): string {
  if (typeof v !== 'string') return JSON.stringify(v);
  return v.startsWith(packageRoot + sep) ? `<package>/${v.slice(packageRoot.length + 1).split(sep).join('/')}` : v;
}

/** Table cells: `|` escaped (GitHub reads `\|` as a pipe, in code spans too). */
const cells = (...texts: string[]): string => texts.map((t) => t.replaceAll('|', '\\|')).join(' | ');
