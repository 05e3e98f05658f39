/**
 * The PDF report's embedded evidence (docs/evidence.md): the JSON report's exact bytes attached to
 * the PDF Chromium printed (a PDF file attachment, `report.json`, application/json), so a PDF
 * alone carries what its printed SHA-256 digest is of. `pdfdetach` (poppler-utils), `qpdf
 * --show-attachment` or any PDF reader's attachment pane extracts it. pdf-lib is loaded on demand.
 */

/** The attachment's name for each document kind (the digest line of the HTML names the same). */
export const ATTACHMENT_NAME = { run: 'report.json', probe: 'diagnosis.json' } as const;

export interface Attachment {
  name: string;
  bytes: Buffer;
  sha256: string;
  /** When the run finished (the attachment's dates; absent: now). */
  date?: Date;
}

/** `pdf` with `json` attached as a file (the PDF's other bytes as pdf-lib rewrites them). */
export async function attachJson(pdf: Uint8Array, a: Attachment): Promise<Uint8Array> {
  const { PDFDocument } = await import('pdf-lib');
  const doc = await PDFDocument.load(pdf, { updateMetadata: false });
  const date = a.date ?? new Date();
  await doc.attach(a.bytes, a.name, {
    mimeType: 'application/json',
    description: `The JSON evidence report, byte for byte: SHA-256 ${a.sha256}`,
    creationDate: date,
    modificationDate: date,
  });
  return doc.save();
}

/** The files attached to a PDF (its EmbeddedFiles name tree, one level of Kids), by name. */
export async function readPdfAttachments(pdf: Uint8Array): Promise<Map<string, Buffer>> {
  const { PDFDocument, PDFName, PDFDict, PDFArray, PDFRawStream, PDFString, PDFHexString, decodePDFRawStream } = await import('pdf-lib');
  const doc = await PDFDocument.load(pdf, { updateMetadata: false });
  const out = new Map<string, Buffer>();
  const names = doc.catalog.lookupMaybe(PDFName.of('Names'), PDFDict);
  const tree = names?.lookupMaybe(PDFName.of('EmbeddedFiles'), PDFDict);
  const nodes = tree ? [tree, ...(tree.lookupMaybe(PDFName.of('Kids'), PDFArray)?.asArray() ?? []).map((k) => doc.context.lookup(k, PDFDict))] : [];
  for (const node of nodes) {
    const list = node.lookupMaybe(PDFName.of('Names'), PDFArray);
    if (!list) continue;
    for (let i = 0; i + 1 < list.size(); i += 2) {
      const key = list.lookup(i);
      const name = key instanceof PDFString || key instanceof PDFHexString ? key.decodeText() : String(key);
      const spec = list.lookup(i + 1, PDFDict);
      const stream = spec.lookupMaybe(PDFName.of('EF'), PDFDict)?.lookup(PDFName.of('F'));
      if (stream instanceof PDFRawStream) out.set(name, Buffer.from(decodePDFRawStream(stream).decode()));
    }
  }
  return out;
}
