/**
 * Reports from people into orders: the reporter's photo into the evidence store (kind `report`),
 * then the workflow (join or open). What the HTTP routes call for Open311 POSTs and inspectors.
 */
import { monotonicFactory } from 'ulid';
import { StreetWatchError } from '../common/errors.js';
import type { EvidenceRef, Report, ViolationType } from '../contract/index.js';
import type { EvidenceStore } from './evidence-store.js';
import type { Workflow } from './workflow.js';
import type { WorkOrder } from './work-order.js';

/** A photo that is not a JPEG, or too large. */
export class ReportPhotoError extends StreetWatchError {
  constructor(message: string) {
    super('BAD_PHOTO', message);
  }
}

/** What a reporter sent; `confirmed`: their source is trusted to skip review. */
export interface ReportSubmission {
  /** The reporter's own id for it (sent again on a retry, it files nothing twice); default a new one. */
  id?: string;
  source: Report['source'];
  clientId?: string;
  user?: string;
  type: ViolationType;
  description: string;
  contact?: Report['contact'];
  location: Report['location'];
  address?: string;
  plate?: string;
  mediaUrl?: string;
  photo?: Buffer;
  confirmed: boolean;
}

export interface ReportIntake {
  submit(s: ReportSubmission): Promise<{ order: WorkOrder; created: boolean }>;
}

/** JPEG files start with the SOI marker and another marker. */
export const isJpeg = (buf: Buffer): boolean => buf.length > 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff;

/** Refuses a photo that is not a JPEG or is over `maxBytes`, naming which. */
export function checkReportPhoto(buf: Buffer, maxBytes: number): void {
  if (buf.length > maxBytes) throw new ReportPhotoError(`the photo has ${buf.length} bytes; at most ${maxBytes}`);
  if (!isJpeg(buf)) throw new ReportPhotoError('the photo must be a JPEG');
}

export function reportIntake(deps: {
  evidence: Pick<EvidenceStore, 'put'>;
  workflow: Pick<Workflow, 'onReport' | 'orderOfReport'>;
  maxPhotoBytes: number;
  now?: () => number;
}): ReportIntake {
  const now = deps.now ?? Date.now;
  const nextId = monotonicFactory();
  return {
    async submit(s) {
      // A resend is answered before its photo is kept: the first copy's is (the caller decides
      // whether this sender may see it), and a refused one leaves no file behind.
      const filed = s.id ? await deps.workflow.orderOfReport(s.id) : null;
      if (filed) return { order: filed, created: false };
      const receivedAt = new Date(now()).toISOString();
      const evidence: EvidenceRef[] = [];
      if (s.photo) {
        checkReportPhoto(s.photo, deps.maxPhotoBytes);
        const sha256 = await deps.evidence.put(s.photo);
        evidence.push({ evidenceId: nextId(), sha256, capturedAt: receivedAt, contentType: 'image/jpeg', bytes: s.photo.length, kind: 'report' });
      }
      const report: Report = {
        id: s.id ?? nextId(),
        source: s.source,
        ...(s.clientId ? { clientId: s.clientId } : {}),
        ...(s.user ? { user: s.user } : {}),
        description: s.description,
        ...(s.contact && Object.keys(s.contact).length ? { contact: s.contact } : {}),
        location: s.location,
        ...(s.address ? { address: s.address } : {}),
        ...(s.plate ? { plate: s.plate } : {}),
        ...(s.mediaUrl ? { mediaUrl: s.mediaUrl } : {}),
        receivedAt,
        evidenceIds: evidence.map((e) => e.evidenceId),
      };
      return deps.workflow.onReport({ report, type: s.type, evidence, confirmed: s.confirmed });
    },
  };
}
