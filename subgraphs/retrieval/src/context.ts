import type { SubgraphContext } from '@ai-teacher/shared';
import type DataLoader from 'dataloader';
import type { Ingestion } from './entities/ingestion.entity.ts';
import type { RetrievalService } from './services/retrieval.service.ts';

export interface RetrievalContext extends SubgraphContext {
  retrieval: RetrievalService;
  ingestionLoader: DataLoader<string, Ingestion | null>;
}
