import type { EntityManager } from 'typeorm';
import type { HttpRouteMount } from '../../app/http-routes';
import { assertAllowed, canRead } from '../../core/authorization';
import type { PdfFile, QuotePdf } from './quote-pdf';

/**
 * `GET <path>` (with an `:id` parameter) answers a document's PDF as a download. It is admitted
 * (authentication, rate limit, metering) and scoped like POST /graphql and needs `<resource>:read` (VIEWER and up, or
 * an API key with the
 * scope); another tenant's id is NOT_FOUND, as in GraphQL. Errors are JSON, like GraphQL's.
 */
export function pdfDownloadRoute(
  path: string,
  resource: string,
  render: (em: EntityManager, id: string) => Promise<PdfFile>,
): HttpRouteMount {
  return (app, kit) => {
    app.get(path, async (req, res) => {
      try {
        const file = await kit.withTenantScope(req, res, ({ manager, tenant, principal }) => {
          assertAllowed(canRead(resource), principal, tenant.memberRole);
          return render(manager, String(req.params.id));
        });
        res
          .status(200)
          .set({
            'content-type': 'application/pdf',
            'content-disposition': `attachment; filename="${file.filename}"`,
            'cache-control': 'private, no-store',
          })
          .send(file.content);
      } catch (error) {
        kit.sendError(res, error);
      }
    });
  };
}

/** GET /quotes/:id/pdf */
export const quotePdfRoute = (pdf: Pick<QuotePdf, 'render'>): HttpRouteMount =>
  pdfDownloadRoute('/quotes/:id/pdf', 'quotes', (em, id) => pdf.render(em, id));
