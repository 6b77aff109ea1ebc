/**
 * The centre's side of provisioning: works out what a box needs to reach this centre (broker URL,
 * the certificate to trust, root topic, API URL) and writes it with the device's credentials as a
 * bundle file for `streetwatch edge init`.
 */
import { X509Certificate } from 'node:crypto';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, extname } from 'node:path';
import YAML from 'yaml';
import { parseWithSchema } from '../../common/config-file.js';
import { StreetWatchError } from '../../common/errors.js';
import { writeFileAtomicSync } from '../../common/atomic-write.js';
import { EDGE_BUNDLE_KIND, edgeBundleSchema, type EdgeBundle } from '../../contract/bundle.js';
import type { CenterConfig } from '../config.js';
import type { DeviceCredentials } from '../../broker/device-registry.js';

export class BundleError extends StreetWatchError {}

export interface BundleOptions {
  /** The broker URL boxes use; default from the centre config and `brokerHost`. */
  brokerUrl?: string;
  /** Host name boxes reach the centre by; default the host of `brokerUrl`, else this machine's name. */
  brokerHost?: string;
  /** The centre's HTTP API as boxes reach it; default `http.publicUrl`, else http://<host>:<http.port>. */
  centerUrl?: string;
  /** PEM of the CA boxes should trust; default from `mqtt.tls.certFile`. */
  caFile?: string;
}

/** Everything in a bundle but the credentials, and what the operator should know about it. */
export interface BundlePlan {
  mqttUrl: string;
  rootTopic: string;
  caPem?: string;
  centerUrl: string;
  timezone: string;
  /** One line each, printed after the bundle is written. */
  notes: string[];
}

type CenterParts = Pick<CenterConfig, 'mqtt' | 'http' | 'rootTopic' | 'timezone'>;

/** Throws (before the device is registered) if the bundle for `deviceId` could not be made. */
export function planBundle(center: CenterParts, deviceId: string, o: BundleOptions): BundlePlan {
  const host = o.brokerHost ?? (o.brokerUrl ? hostOf(o.brokerUrl) : hostname());
  const notes: string[] = [];
  const mqttUrl = o.brokerUrl ?? defaultBrokerUrl(center.mqtt, host);
  let caPem: string | undefined;
  if (o.caFile) {
    caPem = onlyCertificate(readPem(o.caFile, '--ca-file'), '--ca-file');
  } else if (center.mqtt.tls && mqttUrl.startsWith('mqtts:')) {
    const trust = trustAnchor(readPem(center.mqtt.tls.certFile, 'mqtt.tls.certFile'));
    caPem = trust.pem;
    notes.push(trust.note);
    if (trust.leaf && !certificateNames(trust.leaf, host)) {
      notes.push(`warning: the centre certificate does not name "${host}"; boxes will refuse it. Use --broker-host with a name it lists (${trust.leaf.subjectAltName ?? trust.leaf.subject}).`);
    }
  }
  const centerUrl = o.centerUrl ?? center.http.publicUrl ?? `http://${urlHost(host)}:${center.http.port}`;
  const plan = { mqttUrl, rootTopic: center.rootTopic, caPem, centerUrl, timezone: center.timezone, notes };
  makeBundle(plan, { deviceId, username: deviceId, password: 'not-issued-yet' }); // the schema's verdict on the URLs and ids
  return plan;
}

function defaultBrokerUrl(mqtt: CenterParts['mqtt'], host: string): string {
  // An external broker's address as the centre sees it (often an internal name) is no guess for a box.
  if (mqtt.url) throw new BundleError('CLI_USAGE', `the centre uses an external broker (mqtt.url ${mqtt.url}): pass --broker-url with the address boxes use`);
  const [scheme, port, field] = mqtt.tls ? ['mqtts', mqtt.tls.port, 'mqtt.tls.port'] : ['mqtt', mqtt.port, 'mqtt.port'];
  if (port === 0) throw new BundleError('CLI_USAGE', `${field} is 0 (any free port) in the centre config: pass --broker-url`);
  return `${scheme}://${urlHost(host)}:${port}`;
}

function hostOf(url: string): string {
  if (!URL.canParse(url)) throw new BundleError('CLI_USAGE', `--broker-url: "${url}" is not a URL`);
  return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
}

const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host);

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new BundleError('BUNDLE_CA', `${what}: cannot read ${file}: ${(err as Error).message}`);
  }
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function certificatesIn(pem: string, what: string): { pem: string; cert: X509Certificate }[] {
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new BundleError('BUNDLE_CA', `${what}: no PEM certificate in the file`);
  return blocks.map((block) => {
    try {
      return { pem: `${block}\n`, cert: new X509Certificate(block) };
    } catch (err) {
      throw new BundleError('BUNDLE_CA', `${what}: not a valid certificate: ${(err as Error).message}`);
    }
  });
}

function onlyCertificate(pem: string, what: string): string {
  const certs = certificatesIn(pem, what);
  if (certs.length > 1) throw new BundleError('BUNDLE_CA', `${what}: holds ${certs.length} certificates; give the one CA certificate boxes should trust`);
  return certs[0].pem;
}

/**
 * The centre config names only the server certificate (and maybe its chain). Node trusts only a
 * self-signed certificate as an anchor, so that is what goes into the bundle: the server
 * certificate itself when self-signed, else a self-signed root at the end of the chain file. A
 * certificate from a CA that is not in the file is assumed to be a public CA the box already trusts.
 */
function trustAnchor(pem: string): { pem?: string; leaf?: X509Certificate; note: string } {
  const chain = certificatesIn(pem, 'mqtt.tls.certFile');
  const leaf = chain[0].cert;
  const last = chain[chain.length - 1];
  if (!last.cert.checkIssued(last.cert)) {
    return { leaf, note: `TLS: the centre certificate is issued by ${leaf.issuer.replace(/\n/g, ', ')}, not in mqtt.tls.certFile; the box will use its system CAs (pass --ca-file <ca.pem> for a private CA).` };
  }
  const self = chain.length === 1;
  return {
    pem: last.pem,
    leaf,
    note: self
      ? 'TLS: the centre has no CA configured, only its self-signed server certificate (mqtt.tls.certFile); the bundle carries that certificate as the trust anchor, so replacing it means new bundles.'
      : 'TLS: the bundle carries the root certificate at the end of mqtt.tls.certFile as the trust anchor.',
  };
}

function certificateNames(cert: X509Certificate, host: string): boolean {
  return /^[\d.]+$|:/.test(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined;
}

/** Fails before a device is registered if the bundle could not be written there afterwards. */
export function checkBundleTarget(file: string): void {
  try {
    accessSync(dirname(file), constants.W_OK);
  } catch (err) {
    throw new BundleError('CLI_USAGE', `--bundle: cannot write into ${dirname(file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw new BundleError('CLI_USAGE', `--bundle: ${file} is a directory`);
}

export function makeBundle(plan: BundlePlan, creds: DeviceCredentials, now = Date.now()): EdgeBundle {
  return parseWithSchema(edgeBundleSchema, {
    kind: EDGE_BUNDLE_KIND,
    v: 1,
    deviceId: creds.deviceId,
    mqtt: { url: plan.mqttUrl, username: creds.username, password: creds.password, ...(plan.caPem ? { caPem: plan.caPem } : {}), rootTopic: plan.rootTopic },
    centerUrl: plan.centerUrl,
    timezone: plan.timezone,
    createdAt: new Date(now).toISOString(),
  }, 'bundle');
}

/** JSON, or YAML for a .yaml/.yml name; mode 0600 (it holds a password), replaced atomically. */
export function writeBundleFile(file: string, bundle: EdgeBundle): void {
  const yaml = /^\.ya?ml$/i.test(extname(file));
  const text = yaml ? YAML.stringify(bundle) : `${JSON.stringify(bundle, null, 2)}\n`;
  writeFileAtomicSync(file, text, { mode: 0o600 });
}
