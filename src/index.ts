import { app } from '@azure/functions';
import { closeProcessServices } from './composition/processServices';

// App-level setup only; each function registers itself in src/functions/.
app.hook.appTerminate(async () => {
  await closeProcessServices();
});
