// Previews of a report's PDF files, drawn with pdf.js (no plug-in, nothing from another site):
// each <canvas data-pdf-url> gets the document's first page, and its pager the others.
import { GlobalWorkerOptions, getDocument } from 'pdfjs-dist/build/pdf.mjs';

async function show(holder) {
  const canvas = holder.querySelector('canvas');
  const status = holder.querySelector('[data-pdf-status]');
  const pager = holder.querySelector('[data-pdf-pager]');
  const pdf = await getDocument({ url: holder.dataset.pdfUrl, isEvalSupported: false, withCredentials: true }).promise;
  let number = 1;
  const draw = async () => {
    const page = await pdf.getPage(number);
    const width = holder.clientWidth || 600;
    const unscaled = page.getViewport({ scale: 1 });
    const viewport = page.getViewport({ scale: Math.min(2, width / unscaled.width) });
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    await page.render({ canvas, canvasContext: canvas.getContext('2d'), viewport }).promise;
    if (status) {
      status.textContent = (holder.dataset.pageOf || '%(page)s / %(pages)s')
        .replace('%(page)s', String(number))
        .replace('%(pages)s', String(pdf.numPages));
    }
  };
  if (pager && pdf.numPages > 1) {
    pager.hidden = false;
    pager.querySelector('[data-pdf-prev]').addEventListener('click', () => { if (number > 1) { number -= 1; draw(); } });
    pager.querySelector('[data-pdf-next]').addEventListener('click', () => { if (number < pdf.numPages) { number += 1; draw(); } });
  }
  await draw();
  holder.dataset.ready = 'true';
}

function start() {
  const holders = document.querySelectorAll('[data-pdf-url]');
  if (!holders.length) {
    return;
  }
  GlobalWorkerOptions.workerSrc = holders[0].dataset.pdfWorker;
  holders.forEach((holder) => {
    show(holder).catch(() => {
      holder.dataset.ready = 'failed';
      const status = holder.querySelector('[data-pdf-status]');
      if (status) {
        status.textContent = holder.dataset.failed || '';
      }
    });
  });
}

start();
