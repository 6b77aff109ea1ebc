/**
 * Inspectors' reports waiting to be sent, through the upload queue (upload-queue.ts). Each carries
 * its own report id, made on the phone when the report was made: the centre files a resent report
 * once (POST /api/reports `reportId`), so a try whose answer the network lost does no harm.
 */
import type { ViolationType, WorkOrder } from '../api-types';
import { postUpload, type Queued } from './upload-queue';

export interface QueuedReport extends Queued {
  /** A ULID: the report's id at the centre too. */
  id: string;
  type: ViolationType;
  lat: number;
  long: number;
  plate: string;
  description: string;
  photo: Blob;
}

/** The multipart fields of POST /api/reports (empty optional fields left out). */
export function reportFields(r: QueuedReport): [string, string][] {
  const fields: [string, string][] = [['reportId', r.id], ['type', r.type], ['lat', String(r.lat)], ['long', String(r.long)]];
  if (r.plate.trim()) fields.push(['plate', r.plate.trim()]);
  if (r.description.trim()) fields.push(['description', r.description.trim()]);
  return fields;
}

export function uploadReport(r: QueuedReport) {
  const form = new FormData();
  for (const [k, v] of reportFields(r)) form.append(k, v);
  form.append('photo', r.photo, 'report.jpg');
  return postUpload<WorkOrder>('/api/reports', { body: form });
}
