import type { Collection, Db } from "mongodb";
import type { AveragingPeriod } from "./averaging-window.js";
import { ENVIRONMENT_PARAMETERS, EnvironmentParameter } from "./environment-parameter.js";
import { DEFAULT_THRESHOLDS, type ThresholdDocument, type ThresholdSetting } from "./threshold.model.js";

export interface ThresholdChange {
  parameter: EnvironmentParameter;
  value: number | null;
  averaging: AveragingPeriod;
  enabled: boolean;
  by: string;
}

/** The only code that reads and writes `environmentThresholds`; a parameter never set uses its default. */
export class ThresholdRepository {
  readonly collection: Collection<ThresholdDocument>;

  constructor(
    db: Db,
    readonly now: () => Date = () => new Date(),
  ) {
    this.collection = db.collection<ThresholdDocument>("environmentThresholds");
  }

  /** Every parameter's threshold, in the order of the parameters. */
  async list(): Promise<ThresholdSetting[]> {
    const stored = new Map((await this.collection.find({}).toArray()).map((document) => [document._id, document]));
    return ENVIRONMENT_PARAMETERS.map((parameter) => settingOf(parameter, stored.get(parameter)));
  }

  async byParameter(): Promise<Map<EnvironmentParameter, ThresholdSetting>> {
    return new Map((await this.list()).map((setting) => [setting.parameter, setting]));
  }

  /** Stores a checked change (the resolver checks it) and returns the threshold as it now is. */
  async set(change: ThresholdChange): Promise<ThresholdSetting> {
    const document: ThresholdDocument = {
      _id: change.parameter,
      value: change.value,
      averaging: change.averaging,
      enabled: change.enabled,
      updatedAt: this.now(),
      updatedBy: change.by,
    };
    await this.collection.replaceOne({ _id: change.parameter }, document, { upsert: true });
    return settingOf(change.parameter, document);
  }
}

function settingOf(parameter: EnvironmentParameter, document: ThresholdDocument | undefined): ThresholdSetting {
  if (!document) return { parameter, ...DEFAULT_THRESHOLDS[parameter], updatedAt: null, updatedBy: null };
  return {
    parameter,
    value: document.value,
    averaging: document.averaging,
    enabled: document.enabled,
    basis: null,
    updatedAt: document.updatedAt,
    updatedBy: document.updatedBy,
  };
}
