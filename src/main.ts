import 'reflect-metadata';
import { bootstrap } from './app/bootstrap';

/** `npm start`: API server (and, unless JOBS_ENABLED=false, the job scheduler). */
bootstrap({ role: 'api' }).catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
