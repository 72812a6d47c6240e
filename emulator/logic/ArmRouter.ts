import type { EmulatorRequest, EmulatorResponse, EmulatorServiceHandler, RequestClassification } from '../EmulatorExchange';
import type { FaultRule } from '../FaultInjector';
import type { ArmLogicService } from './ArmLogicService';
import { isWebProviderPath, type ArmWebService } from './ArmWebService';

/**
 * ARM on one port: routes each request to the resource provider its path names (Microsoft.Web for Logic
 * Apps Standard, Microsoft.Logic otherwise). Both share the front door (tokens, throttling, headers).
 */
export class ArmRouter implements EmulatorServiceHandler {
  readonly service = 'arm' as const;

  constructor(
    private readonly logic: ArmLogicService,
    private readonly web: ArmWebService,
  ) {}

  classify(method: string, url: URL): RequestClassification {
    return this.provider(url).classify(method, url);
  }

  handle(request: EmulatorRequest): Promise<EmulatorResponse> | EmulatorResponse {
    return this.provider(request.url).handle(request);
  }

  faultResponse(request: EmulatorRequest, fault: FaultRule): EmulatorResponse {
    return this.provider(request.url).faultResponse(request, fault);
  }

  decorate(request: EmulatorRequest, response: EmulatorResponse): void {
    this.provider(request.url).decorate?.(request, response);
  }

  private provider(url: URL): EmulatorServiceHandler {
    return isWebProviderPath(url.pathname) ? this.web : this.logic;
  }
}
