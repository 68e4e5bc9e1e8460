import 'reflect-metadata';
import { bootstrap } from './app/bootstrap';

/** `npm run worker`: runs background jobs only (no HTTP); start as many as the load needs. */
bootstrap({ role: 'worker' }).catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
